"""Images, audio and files in Chat Completions: data URLs, fetched URLs behind the SSRF guard."""

from __future__ import annotations

import base64
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from tests.support.gateway import chat
from tests.support.http import post
from tests.support.ssrf import HTML, JPEG, PNG
from tests.support.upstream import upstream_body

def user_parts(*parts):
    return {"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": list(parts)}]}


def test_data_url_image_audio_and_pdf(gw, fake_api):
    pdf = base64.b64encode(b"%PDF-1.4 tiny").decode()
    body = user_parts(
        {"type": "text", "text": "describe marker-md1"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64," + base64.b64encode(PNG).decode(), "detail": "low"}},
        {"type": "input_audio", "input_audio": {"data": base64.b64encode(b"RIFF\x24\x00\x00\x00WAVEfmt ").decode(), "format": "wav"}},
        {"type": "file", "file": {"file_data": f"data:application/pdf;base64,{pdf}", "filename": "a.pdf"}},
    )
    r = chat(gw, body)
    assert r.status == 200, r.text
    parts = upstream_body(fake_api, "marker-md1")["contents"][-1]["parts"]
    mimes = [p["inlineData"]["mimeType"] for p in parts if "inlineData" in p]
    assert mimes == ["image/png", "audio/wav", "application/pdf"]


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:9/x.png", "http://localhost/x.png", "http://169.254.169.254/latest/meta-data", "http://[::1]/x", "http://10.0.0.1/x.png", "file:///etc/passwd"],
)
def test_ssrf_guard(gw, url):
    r = chat(gw, user_parts({"type": "text", "text": "x"}, {"type": "image_url", "image_url": {"url": url}}))
    assert r.status == 400, r.text
    message = r.json()["error"]["message"]
    assert "image_url" in message and ("URL not allowed or not reachable" in message or "only http(s)" in message)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.mark.parametrize(
    ("part", "sent_as"),
    [
        ({"type": "image_url", "image_url": {"url": "data:image/png;base64," + b64(JPEG)}}, "image/jpeg"),
        ({"type": "image_url", "image_url": {"url": "data:text/plain;base64," + b64(PNG)}}, "image/png"),
        ({"type": "image_url", "image_url": {"url": "data:image/jpg;base64," + b64(JPEG)}}, "image/jpg"),
        ({"type": "file", "file": {"file_data": "data:application/pdf;base64," + b64(PNG)}}, "image/png"),
        ({"type": "input_audio", "input_audio": {"data": b64(b"ID3\x04\x00" + bytes(20)), "format": "wav"}}, "audio/mp3"),
        ({"type": "file", "file": {"file_data": b64(JPEG), "filename": "scan.pdf"}}, "image/jpeg"),
        ({"type": "file", "file": {"file_data": b64(PNG)}}, "image/png"),
    ],
)
def test_media_whose_bytes_show_another_type_is_retyped(gw, fake_api, part, sent_as):
    marker = f"marker-retype-{sent_as}-{part['type']}"
    r = chat(gw, user_parts({"type": "text", "text": marker}, part))
    assert r.status == 200, r.text
    assert upstream_body(fake_api, marker)["contents"][-1]["parts"][1]["inlineData"]["mimeType"] == sent_as


@pytest.mark.parametrize(
    ("part", "param"),
    [
        ({"type": "image_url", "image_url": {"url": "data:image/png;base64," + b64(HTML)}}, "messages[0].content[0].image_url.url"),
        ({"type": "image_url", "image_url": {"url": "data:image/png,<html>hi</html>"}}, "messages[0].content[0].image_url.url"),
        ({"type": "image_url", "image_url": {"url": "data:image/png;base64,"}}, "messages[0].content[0].image_url.url"),
        ({"type": "input_audio", "input_audio": {"data": b64(HTML), "format": "mp3"}}, "messages[0].content[0].input_audio.data"),
        ({"type": "file", "file": {"file_data": "data:application/pdf;base64," + b64(HTML)}}, "messages[0].content[0].file.file_data"),
        ({"type": "file", "file": {"file_data": b64(HTML), "filename": "x.pdf"}}, "messages[0].content[0].file.file_data"),
    ],
)
def test_media_whose_bytes_are_not_the_declared_type_is_400(gw, part, param):
    r = chat(gw, user_parts(part))
    assert r.status == 400, r.text
    assert r.json()["error"]["param"] == param and "declared as" in r.json()["error"]["message"]


def test_bad_data_url_is_400(gw):
    r = chat(gw, user_parts({"type": "image_url", "image_url": {"url": "data:image/png;base64,@@@"}}))
    assert r.status == 400 and "base64" in r.json()["error"]["message"]


def test_file_id_is_rejected_clearly(gw):
    r = chat(gw, user_parts({"type": "file", "file": {"file_id": "file-123"}}))
    assert r.status == 400 and "file_id" in r.json()["error"]["message"]


@pytest.fixture
def image_server():
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path == "/big.png":
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.end_headers()
                self.wfile.write(b"\0" * 5000)
                return
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(PNG)))
            self.end_headers()
            self.wfile.write(PNG)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_http_image_is_fetched_when_allowed(make_gateway, fake_api, image_server):
    server = make_gateway(fetch_allow_private=True, fetch_max_bytes=1000)
    r = post(
        f"{server.url}/v1/chat/completions",
        user_parts({"type": "text", "text": "marker-md2"}, {"type": "image_url", "image_url": {"url": f"{image_server}/cat.png"}}),
        key=server.key,
    )
    assert r.status == 200, r.text
    part = upstream_body(fake_api, "marker-md2")["contents"][-1]["parts"][1]
    assert part["inlineData"] == {"mimeType": "image/png", "data": base64.b64encode(PNG).decode()}
    r = post(
        f"{server.url}/v1/chat/completions",
        user_parts({"type": "image_url", "image_url": {"url": f"{image_server}/big.png"}}),
        key=server.key,
    )
    assert r.status == 400 and "larger than" in r.json()["error"]["message"]


def test_anthropic_count_tokens_fetches_image_urls(make_gateway, fake_api, image_server):
    """count_tokens takes an image by URL as /v1/messages does, through the same SSRF-guarded fetcher (it
    answered 400 "counts inline media only" before)."""
    server = make_gateway(fetch_allow_private=True, fetch_max_bytes=1000)
    headers = {"anthropic-version": "2023-06-01"}

    def count(url: str, marker: str):
        content = [{"type": "text", "text": marker}, {"type": "image", "source": {"type": "url", "url": url}}]
        body = {"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": content}]}
        return post(f"{server.url}/v1/messages/count_tokens", body, key=server.key, key_header="x-api-key",
                    headers=headers)

    r = count(f"{image_server}/cat.png", "marker-ct1")
    assert r.status == 200, r.text
    assert r.json()["input_tokens"] > 0
    sent = upstream_body(fake_api, "marker-ct1")["generateContentRequest"]["contents"][-1]["parts"][1]
    assert sent["inlineData"] == {"mimeType": "image/png", "data": base64.b64encode(PNG).decode()}
    r = count(f"{image_server}/big.png", "marker-ct2")  # the fetcher's limits hold here too
    assert r.status == 400 and "larger than" in r.json()["error"]["message"], r.text


def test_anthropic_count_tokens_image_url_behind_the_ssrf_guard(gw):
    body = {"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": [
        {"type": "image", "source": {"type": "url", "url": "http://127.0.0.1:9/x.png"}}]}]}
    r = post(f"{gw.url}/v1/messages/count_tokens", body, key=gw.key, key_header="x-api-key",
             headers={"anthropic-version": "2023-06-01"})
    assert r.status == 400 and r.json()["type"] == "error", r.text
    assert "messages[0].content[0].source.url" in r.json()["error"]["message"]

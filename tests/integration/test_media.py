"""Images, audio and files in Chat Completions: data URLs, fetched URLs behind the SSRF guard."""

from __future__ import annotations

import base64
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from tests.support.gateway import chat
from tests.support.http import post
from tests.support.upstream import upstream_body

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def user_parts(*parts):
    return {"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": list(parts)}]}


def test_data_url_image_audio_and_pdf(gw, fake_api):
    pdf = base64.b64encode(b"%PDF-1.4 tiny").decode()
    body = user_parts(
        {"type": "text", "text": "describe marker-md1"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64," + base64.b64encode(PNG).decode(), "detail": "low"}},
        {"type": "input_audio", "input_audio": {"data": base64.b64encode(b"RIFF....").decode(), "format": "wav"}},
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
    assert "image_url" in r.json()["error"]["message"]


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

"""What an upload's answer may be (reference/gemini-web-protocol.md §5.1: the body is the file id): a hostile or
broken upload host's page, error text or flood is a clean MALFORMED, never a "file id" sent on in a message."""

from __future__ import annotations

import pytest

from gemgate.errors import Failure, UpstreamError
from gemgate.store import AccountRecord
from gemgate.upstreams.web.client import WebClient
from gemgate.upstreams.web.page import Tokens
from gemgate.upstreams.web.session import Session
from gemgate.upstreams.web.settings import GeminiWebSettings
from gemgate.upstreams.web.transport import Answer, Transport


class _Answer(Answer):
    def __init__(self, body: bytes) -> None:
        self.status, self.set_cookies, self.location, self.body = 200, [], None, body

    async def chunks(self):
        for at in range(0, len(self.body), 65536):
            yield self.body[at:at + 65536]

    async def close(self) -> None:
        pass


class _Transport(Transport):
    def __init__(self, body: bytes) -> None:
        self.body = body

    async def send(self, method, url, *, headers, body, params, proxy) -> Answer:
        return _Answer(self.body)


async def _upload(answer: bytes) -> str:
    client = WebClient(GeminiWebSettings(), _Transport(answer))
    session = Session(jar={}, stored="", tokens=Tokens("x", "bl", "sid", "en", "feeds/p"))
    return await client.upload(session, AccountRecord(id="a", name="a", kind="gemini-web", secret={}), "a.png",
                               "image/png", b"\x89PNG")


async def test_the_file_id_is_taken():
    assert await _upload(b"/contrib_service/ttl_1d/1709764705i7wdlyx3mdzndme3a767pluckv4flj\n") == (
        "/contrib_service/ttl_1d/1709764705i7wdlyx3mdzndme3a767pluckv4flj")


@pytest.mark.parametrize("answer", [b"", b"<html><body>Service unavailable</body></html>", b"x" * 10_000_000,
                                    "/contrib/\u00e9".encode(), b"\xff\xfe"], ids=["empty", "page", "flood", "non-ascii", "bytes"])
async def test_an_answer_that_is_no_file_id_is_malformed(answer):
    with pytest.raises(UpstreamError, match="without a file id") as caught:
        await _upload(answer)
    assert caught.value.failure is Failure.MALFORMED

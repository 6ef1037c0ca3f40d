"""Media types from magic numbers: declared types are kept when the bytes agree, re-typed when they show
another format, and refused when a known media type is declared over bytes of no known format."""

from __future__ import annotations

import pytest

from gemgate.errors import GatewayError
from gemgate.http.sniff import checked_type, sniff

SAMPLES = {
    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR": "image/png",
    b"\xff\xd8\xff\xe0\0\x10JFIF\0": "image/jpeg",
    b"GIF89a\x01\0\x01\0": "image/gif",
    b"RIFF\x24\0\0\0WEBPVP8 ": "image/webp",
    b"\0\0\0\x18ftypheic\0\0\0\0": "image/heic",
    b"\0\0\0\x18ftypmif1\0\0\0\0": "image/heif",
    b"%PDF-1.7\n": "application/pdf",
    b"RIFF\x24\0\0\0WAVEfmt ": "audio/wav",
    b"ID3\x04\0\0\0\0\0\0": "audio/mp3",
    b"\xff\xfb\x90\x64\0\0": "audio/mp3",
    b"\xff\xf1\x50\x80\0\0": "audio/aac",
    b"fLaC\0\0\0\x22": "audio/flac",
    b"OggS\0\x02\0\0": "audio/ogg",
    b"FORM\0\0\0\x10AIFFCOMM": "audio/aiff",
    b"\0\0\0\x20ftypisom\0\0\x02\0": "video/mp4",
    b"\0\0\0\x14ftypqt  \0\0\0\0": "video/mov",
    b"\0\0\0\x14ftyp3gp4\0\0\0\0": "video/3gpp",
    b"\x1aE\xdf\xa3\x9fB\x86\x81": "video/webm",
    b"RIFF\x24\0\0\0AVI LIST": "video/avi",
    b"FLV\x01\x05\0\0\0": "video/x-flv",
    b"\0\0\x01\xba\x44\0\x04\0": "video/mpeg",
    b"0&\xb2u\x8ef\xcf\x11\xa6\xd9": "video/wmv",
}


@pytest.mark.parametrize(("head", "mime"), SAMPLES.items())
def test_sniff(head, mime):
    assert sniff(head) == mime


@pytest.mark.parametrize("head", [b"", b"<html>", b"hello world", b"BMx", b"RIFF\0\0\0\0XXXX", b"\xff\xd8"])
def test_unknown_bytes(head):
    assert sniff(head) is None


@pytest.mark.parametrize(
    ("declared", "head", "sent"),
    [
        ("image/png", b"\x89PNG\r\n\x1a\n", "image/png"),
        ("image/png", b"\xff\xd8\xff\xe0", "image/jpeg"),
        ("image/JPG", b"\xff\xd8\xff\xe0", "image/JPG"),  # an alias of the real type is kept as sent
        ("audio/mpeg", b"ID3\x04", "audio/mpeg"),
        ("text/plain", b"%PDF-1.4", "application/pdf"),
        ("text/plain", b"hello", "text/plain"),
        ("application/octet-stream", b"\x89PNG\r\n\x1a\n", "image/png"),
        ("image/svg+xml", b"<svg ", "image/svg+xml"),  # a type with no signature here is passed on
        ("video/mp4", b"\0\0\0\x18ftypM4A \0", "video/mp4"),
    ],
)
def test_checked_type(declared, head, sent):
    assert checked_type(declared, head, "p") == sent


@pytest.mark.parametrize("declared", ["image/png", "image/jpeg; q=1", "audio/wav", "video/mp4", "application/pdf"])
def test_known_type_over_unknown_bytes_is_400(declared):
    with pytest.raises(GatewayError) as caught:
        checked_type(declared, b"<!doctype html>", "messages[0].content[0].image_url.url")
    assert caught.value.status == 400 and caught.value.param == "messages[0].content[0].image_url.url"

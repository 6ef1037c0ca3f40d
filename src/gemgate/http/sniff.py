"""The real type of media bytes from their magic numbers, to re-type or refuse media whose declared type lies.

Signatures are the formats' own (PNG, JFIF/EXIF, GIF, RIFF, ISO BMFF `ftyp`, EBML, Ogg, FLAC, MPEG audio
frame sync and ADTS, AIFF, ASF, FLV, MPEG-PS, PDF); the MIME names are the ones the Gemini API lists
for inline data (ai.google.dev/gemini-api/docs: image, audio, video and document understanding).
"""

from __future__ import annotations

import base64
import binascii

from ..errors import bad_request

# Each format: the MIME type to send, and the declared types that mean the same format (kept as sent).
_ISO_BMFF = ("video/mp4", "video/quicktime", "video/mov", "video/3gpp", "audio/mp4", "audio/m4a", "audio/x-m4a",
             "audio/aac", "image/heic", "image/heif", "image/avif")  # one container; brands are often loose
_FAMILIES: dict[str, tuple[str, ...]] = {
    "image/png": ("image/png",),
    "image/jpeg": ("image/jpeg", "image/jpg", "image/pjpeg"),
    "image/gif": ("image/gif",),
    "image/webp": ("image/webp",),
    "image/tiff": ("image/tiff",),
    "image/heic": _ISO_BMFF,
    "image/heif": _ISO_BMFF,
    "image/avif": _ISO_BMFF,
    "video/mp4": _ISO_BMFF,
    "video/mov": _ISO_BMFF,
    "video/3gpp": _ISO_BMFF,
    "audio/mp4": _ISO_BMFF,
    "audio/wav": ("audio/wav", "audio/wave", "audio/x-wav", "audio/vnd.wave"),
    "audio/mp3": ("audio/mp3", "audio/mpeg", "audio/mpeg3", "audio/x-mp3", "audio/aac"),  # ID3 tags front both
    "audio/aac": ("audio/aac", "audio/aacp", "audio/x-aac"),
    "audio/flac": ("audio/flac", "audio/x-flac"),
    "audio/ogg": ("audio/ogg", "audio/opus", "video/ogg", "application/ogg"),
    "audio/aiff": ("audio/aiff", "audio/x-aiff"),
    "video/webm": ("video/webm", "audio/webm", "video/x-matroska", "audio/x-matroska"),
    "video/avi": ("video/avi", "video/x-msvideo", "video/msvideo"),
    "video/wmv": ("video/wmv", "video/x-ms-wmv", "video/x-ms-asf", "audio/x-ms-wma"),
    "video/x-flv": ("video/x-flv", "video/flv"),
    "video/mpeg": ("video/mpeg", "video/mpg"),
    "application/pdf": ("application/pdf",),
}
_KNOWN = frozenset(t for family in _FAMILIES.values() for t in family)
_PREFIXES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"%PDF-", "application/pdf"),
    (b"fLaC", "audio/flac"),
    (b"OggS", "audio/ogg"),
    (b"ID3", "audio/mp3"),
    (b"\x1aE\xdf\xa3", "video/webm"),
    (b"0&\xb2u\x8ef\xcf\x11", "video/wmv"),
    (b"FLV\x01", "video/x-flv"),
    (b"\x00\x00\x01\xba", "video/mpeg"),
    (b"\x00\x00\x01\xb3", "video/mpeg"),
)
_RIFF = {b"WAVE": "audio/wav", b"WEBP": "image/webp", b"AVI ": "video/avi"}
_BRANDS = {b"qt  ": "video/mov", b"heic": "image/heic", b"heix": "image/heic", b"mif1": "image/heif",
           b"msf1": "image/heif", b"avif": "image/avif", b"M4A ": "audio/mp4", b"3gp4": "video/3gpp",
           b"3gp5": "video/3gpp", b"3g2a": "video/3gpp"}
HEAD_BYTES = 16  # enough for every signature above


def sniff(head: bytes) -> str | None:
    """The MIME type the first bytes of a file show (at least `HEAD_BYTES` of them when there are), or
    None when they match no format above."""
    for magic, mime in _PREFIXES:
        if head.startswith(magic):
            return mime
    if head[:4] == b"RIFF" and head[8:12] in _RIFF:
        return _RIFF[head[8:12]]
    if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return "audio/aiff"
    if head[4:8] == b"ftyp":
        return _BRANDS.get(head[8:12], "video/mp4")
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:  # MPEG audio frame sync
        return "audio/aac" if head[1] & 0x06 == 0 else "audio/mp3"  # layer bits 00: ADTS (AAC)
    return None


def checked_type(declared: str, head: bytes, param: str) -> str:
    """The MIME type to send for media declared as `declared` whose bytes start with `head`: the declared
    type when the bytes agree or are of no format known here, the real type when they show another format
    (text/plain holding a PNG becomes image/png; image/png holding a JPEG becomes image/jpeg).
    Raises GatewayError 400 naming `param` when a type known here is declared (image/png, audio/wav,
    application/pdf, …) but the bytes are of no known format (an HTML page sent as image/png)."""
    real = sniff(head)
    norm = declared.split(";", 1)[0].strip().lower()
    if real is not None:
        return declared if norm in _FAMILIES[real] else real
    if norm in _KNOWN:
        raise bad_request(f"{param}: the data is declared as {norm} but its bytes are not {norm}", param)
    return declared


def b64_head(data: str) -> bytes:
    """The first `HEAD_BYTES` (or more) decoded bytes of base64 text already checked to be valid."""
    try:
        return base64.b64decode(data[: (HEAD_BYTES // 3 + 1) * 4])
    except (binascii.Error, ValueError):
        return b""

"""The fake gemini.google.com's uploads and conversations (reference/gemini-web-protocol.md §5, §3.7), written
from the reference on its own (no code shared with the gateway's web upstream).

Uploads (§5.1, what gemini_webapi 2.1.1 does, verified): one multipart POST with the form field `file` (a
filename and a content type), headers `X-Tenant-Id: bard-storage` and `Push-ID: <qKIAYe>`; the body of the
answer is the file id (`/contrib_service/ttl_1d/…`). Attachments (§5.3): `inner[0][3]` lists
`[[id, …], name, …]`; every shape the reference names is accepted (`[[id], name]`, `[[id, 1], name]`,
`[[id, kind, null, mime], name, null×6, [0]]`), an id never uploaded is error 1100 (attachment reference
rejected, §4.1).

Conversations (§3.7): a turn that continues one sends `[cid, rid, rcid, null×6, context token]` at inner[2];
the fake knows each conversation's account, model and answers.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import default as default_policy

from gemgate.testing.http_record import Exchange

TENANT = "bard-storage"  # X-Tenant-Id (§5.1)
ATTACHMENT_REJECTED = 1100  # §4.1 (782042369, zexadev)
MODEL_INCONSISTENT = 1050  # §3.7, §4.1
# A conversation the account does not hold: the real answer is not in the reference; the fake refuses it with
# the transient 1013 (2.1.1's retried APIError) so a client that sends another account's ids is caught.
UNKNOWN_CONVERSATION = 1013


@dataclass
class Upload:
    """A file the fake received: its id, the form's filename and content type, the bytes, the request headers."""

    file_id: str
    name: str
    mime: str
    data: bytes
    headers: dict


@dataclass
class Answer:
    """One answer of a conversation: its response and candidate ids, its context token, the prompt it
    answered and the files attached to it."""

    rid: str
    rcid: str
    context: str
    prompt: str
    files: list[Upload]


@dataclass
class FakeConversation:
    """A conversation as the fake holds it: the account's `__Secure-1PSID`, the model's hex id (None: the
    server chose), whether it was temporary (inner[45] = 1: not kept in the user's history) and its answers."""

    cid: str
    psid: str | None
    model_hex: str | None
    temporary: bool
    answers: list[Answer] = field(default_factory=list)


def upload_problem(ex: Exchange, push_id: str, limit: int) -> tuple[int, str] | Upload:
    """The Upload in a request to the upload URL, or (status, reason) when the fake refuses it: a missing or
    wrong `X-Tenant-Id` or `Push-ID`, a Cookie header (§5.1: none is sent, `.google.com` cookies do not match
    `googleapis.com`; the fake refuses one so that cookies never leave their domain), a body that is not
    multipart/form-data with a `file` field carrying a filename and type (400), more than `limit` bytes (413;
    the real limit and status are not in the reference)."""
    if ex.method != "POST":
        return 405, "POST only"
    if ex.header("X-Tenant-Id") != TENANT or ex.header("Push-ID") != push_id:
        return 400, "X-Tenant-Id and Push-ID are required"
    if ex.header("Cookie"):
        return 400, "cookies sent to the upload host"
    kind = ex.header("Content-Type") or ""
    if not kind.lower().startswith("multipart/form-data"):
        return 400, "not multipart/form-data"
    message = BytesParser(policy=default_policy).parsebytes(f"Content-Type: {kind}\r\n\r\n".encode() + ex.raw)
    for part in message.iter_parts() if message.is_multipart() else ():
        if part.get_param("name", header="content-disposition") == "file" and part.get_filename():
            data = part.get_payload(decode=True) or b""
            if len(data) > limit:
                return 413, "file too large"
            file_id = f"/contrib_service/ttl_1d/{secrets.token_hex(16)}"
            return Upload(file_id, part.get_filename(), part.get_content_type(), data, dict(ex.headers))
    return 400, "no file field with a filename"


def attached(message: list, uploads: dict[str, Upload]) -> list[Upload] | int:
    """The uploads `inner[0][3]` attaches (any of the shapes of §5.3), or error 1100 for an unknown id or a
    malformed entry."""
    files = message[3] if len(message) > 3 else None
    if files is None:
        return []
    out = []
    try:
        for entry in files:
            upload = uploads.get(entry[0][0])
            if upload is None or not isinstance(entry[1], str):
                return ATTACHMENT_REJECTED
            out.append(upload)
    except (IndexError, TypeError, KeyError):
        return ATTACHMENT_REJECTED
    return out


def continued(metadata: object, conversations: dict[str, FakeConversation], psid: str | None,
              model_hex: str | None) -> FakeConversation | int | None:
    """The conversation inner[2] continues (None: a new one), or an error code: 1013 for one this account
    does not hold or an answer (rid, rcid, context token) it never gave, 1050 when a model header names another
    model than the conversation's (§3.7)."""
    if not isinstance(metadata, list) or not metadata or not metadata[0]:
        return None
    conv = conversations.get(metadata[0])
    if conv is None or conv.psid != psid:
        return UNKNOWN_CONVERSATION
    said = (metadata[1] if len(metadata) > 1 else None, metadata[2] if len(metadata) > 2 else None,
            metadata[9] if len(metadata) > 9 else None)
    if not any((a.rid, a.rcid, a.context) == said for a in conv.answers):
        return UNKNOWN_CONVERSATION
    if model_hex is not None and conv.model_hex is not None and model_hex != conv.model_hex:
        return MODEL_INCONSISTENT
    return conv

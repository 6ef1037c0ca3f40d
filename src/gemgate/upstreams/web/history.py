"""The key of a conversation as clients replay it, so an answer's web conversation is found again (issue 9:
"keyed by a hash of the normalised history").

The same conversation arrives differently from each dialect: OpenAI chat replays an answer as one string
(perhaps after a `<think>` block, perhaps trimmed), Anthropic as text blocks after thinking blocks with
signatures, Gemini-native as parts with `thought: true` and `thoughtSignature`, and a client may split or join
text blocks. What is kept of a turn, in order: its answer text with every whitespace character removed (so
splitting, joining, trimming and re-indenting cannot matter) and a leading think-tag block dropped; each file
as the SHA-256 of its base64 data (inlineData) or its URI (fileData); each function call or result as its name and
arguments/response in sorted-key JSON. Thoughts and signatures are left out. Consecutive turns of one role are
one turn; a role other than "model" is the user's. The system instruction is part of the key: another one is
another conversation.
"""

from __future__ import annotations

import hashlib
import re

import orjson

from ...gemini.think_tags import strip_leading_block

_SPACE = re.compile(r"\s+")


def _part(part: object) -> str | None:
    """One part's canonical text; None for a thought or an unknown part."""
    if not isinstance(part, dict) or part.get("thought"):
        return None
    if isinstance(part.get("text"), str):
        return _SPACE.sub("", strip_leading_block(part["text"]))
    if isinstance(part.get("inlineData"), dict):  # the base64 text as every dialect passes it on (no decoding)
        data = _SPACE.sub("", str(part["inlineData"].get("data") or ""))
        return "\0file:" + hashlib.sha256(data.encode()).hexdigest() + "\0"
    if isinstance(part.get("fileData"), dict):
        return "\0uri:" + str(part["fileData"].get("fileUri")) + "\0"
    for kind in ("functionCall", "functionResponse"):
        if isinstance(part.get(kind), dict):
            body = {k: v for k, v in part[kind].items() if k != "id"}  # call ids differ per dialect
            return f"\0{kind}:" + orjson.dumps(body, option=orjson.OPT_SORT_KEYS).decode() + "\0"
    return None


def _turns(contents: list) -> list[list[str]]:
    """[role, canonical text] per turn, consecutive turns of one role merged, empty turns dropped."""
    turns: list[list[str]] = []
    for content in contents:
        if not isinstance(content, dict):
            continue
        role = "model" if content.get("role") == "model" else "user"
        text = "".join(t for t in map(_part, content.get("parts") or ()) if t)
        if not text:
            continue
        if turns and turns[-1][0] == role:
            turns[-1][1] += text
        else:
            turns.append([role, text])
    return turns


def _key(system: object, turns: list[list[str]]) -> str:
    system_text = "".join(t for t in map(_part, (system or {}).get("parts") or ()) if t) if isinstance(system, dict) else ""
    return hashlib.sha256(orjson.dumps([system_text, turns])).hexdigest()


def prior_key(request: dict) -> str | None:
    """The key of what `request` continues: its history without the last user turn. None when there is no
    earlier answer to continue (a first turn) or the request does not end with the user's turn."""
    turns = _turns(request.get("contents") or [])
    if len(turns) < 2 or turns[-1][0] != "user":
        return None
    return _key(request.get("systemInstruction"), turns[:-1])


def answered_key(request: dict, answer: list[dict]) -> str:
    """The key of `request`'s history followed by the model's answer (its Gemini parts as the client got them,
    in any number of pieces: what a client replays next)."""
    contents = [*(request.get("contents") or []), {"role": "model", "parts": answer}]
    return _key(request.get("systemInstruction"), _turns(contents))

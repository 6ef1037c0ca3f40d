"""OpenAI Chat Completions `messages` → Gemini `contents` and `systemInstruction` parts.

Roles, content parts (text, image_url, input_audio, file), assistant tool calls and tool results, per
platform.openai.com/docs/api-reference/chat/create#chat-create-messages; anything Gemini cannot take is a
400 naming the field. Pure: http(s) media become MediaRefs, replayed calls SignatureRefs.
"""

from __future__ import annotations

import mimetypes

import orjson

from ...config import Limits
from ...errors import bad_request
from ...gemini.names import ToolNameMap
from ...gemini.signatures import SignatureRef
from ...gemini.think_tags import strip_leading_block
from ...http.sniff import b64_head, checked_type, sniff
from ..base import MediaRef
from ..parts import append_turn, base64_data, media_part, shallow, tool_response
from ..validate import at_most, expect, one_of

_ROLES = ("system", "developer", "user", "assistant", "tool", "function")
_AUDIO_MIME = {"wav": "audio/wav", "mp3": "audio/mp3", "flac": "audio/flac", "ogg": "audio/ogg", "aac": "audio/aac"}


def chat_messages(
    messages: object, names: ToolNameMap, media: list[MediaRef], signatures: list[SignatureRef], limits: Limits
) -> tuple[list, list]:
    """(Gemini contents, system instruction parts) for a `messages` list: consecutive messages of one role are
    one turn, tool results ordered as their calls; tool names mapped through `names`, http(s) media added to
    `media`, replayed calls to `signatures`. Raises GatewayError 400 naming the field (`messages[i]....`)."""
    messages = expect(messages, list, "messages")
    if not messages:
        raise bad_request("'messages' must contain at least one message", "messages")
    at_most(len(messages), limits.messages, "messages", "messages", "messages")
    contents: list[dict] = []
    system: list[dict] = []
    call_names: dict[str, str] = {}
    call_index: dict[str, int] = {}  # tool_call_id -> its position among its assistant message's calls
    positions: dict[int, int] = {}  # id() of a functionResponse part -> the position of its call
    unanswered: dict[str, int] = {}  # tool_call_id -> the index of the assistant message that made the call
    for i, msg in enumerate(messages):
        p = f"messages[{i}]"
        expect(msg, dict, p)
        role = one_of(msg.get("role"), _ROLES, f"{p}.role")
        if role in ("user", "assistant", "function"):
            _all_answered(unanswered)
        if msg.get("name") is not None:
            expect(msg["name"], str, f"{p}.name")
        content = msg.get("content")
        if isinstance(content, list):
            at_most(len(content), limits.parts_per_message, "parts_per_message", f"{p}.content", "parts")
        if role in ("system", "developer"):
            system.extend(_parts(content, p, media, allow_media=False))
        elif role == "user":
            append_turn(contents, "user", _parts(content, p, media, allow_media=True))
        elif role == "assistant":
            parts = _parts(content, p, media, allow_media=False, nullable=True)
            if parts and "text" in parts[0]:
                parts[0]["text"] = strip_leading_block(parts[0]["text"])
                if not parts[0]["text"]:
                    del parts[0]
            calls = _calls(msg, p, names, signatures, call_names, limits)
            for k, (call_id, _) in enumerate(calls):
                call_index[call_id] = k
                if call_id and msg.get("tool_calls") is not None:
                    unanswered[call_id] = i
            parts += [part for _, part in calls]
            if parts:
                append_turn(contents, "model", parts)
        else:
            part, call_id = _tool_result(msg, p, role, names, call_names, limits)
            unanswered.pop(call_id, None)
            positions[id(part)] = call_index.get(call_id, 1 << 30)
            append_turn(contents, "user", [part])
    _all_answered(unanswered)
    # Tool messages may come in any order; Gemini wants the responses in the order of the calls
    # (shared/reference/antigravity.md §6.3). Only here are the call ids known, so the order is set here.
    for turn in contents:
        if len(turn["parts"]) > 1 and any(id(q) in positions for q in turn["parts"]):
            turn["parts"].sort(key=lambda q: positions.get(id(q), 1 << 30))
    # Only system/developer messages, or only empty ones, are legal too: gemini.normalise makes them sendable.
    return contents, system


def _all_answered(unanswered: dict[str, int]) -> None:
    """A 400 when a tool call of the last assistant message has no tool message answering it before the next
    user, assistant or function message (or the end), in OpenAI's words for the same history (BerriAI/litellm
    issue #10083 quotes them); Gemini would refuse it too ("the number of function response parts is equal to
    the number of function call parts")."""
    if unanswered:
        at = next(iter(unanswered.values()))
        raise bad_request(
            "An assistant message with 'tool_calls' must be followed by tool messages responding to each "
            f"'tool_call_id'. The following tool_call_ids did not have response messages: {', '.join(unanswered)}",
            f"messages[{at}].tool_calls",
        )


def _parts(content: object, p: str, media: list[MediaRef], *, allow_media: bool, nullable: bool = False) -> list:
    if content is None:
        if nullable:
            return []
        raise bad_request(f"'{p}.content' is required", f"{p}.content")
    if isinstance(content, str):
        return [{"text": content}] if content or not nullable else []
    expect(content, list, f"{p}.content")
    parts = []
    for j, item in enumerate(content):
        q = f"{p}.content[{j}]"
        expect(item, dict, q)
        kind = item.get("type")
        if kind is not None and not isinstance(kind, str):
            expect(kind, str, f"{q}.type")
        if kind in ("text", "input_text", "output_text", "refusal"):
            parts.append({"text": expect(item.get("text", item.get("refusal")), str, f"{q}.text")})
            continue
        if not allow_media:
            raise bad_request(f"{q}: content of type {kind!r} is only allowed in user messages", q)
        if kind == "image_url":
            ref = item.get("image_url")
            url = ref.get("url") if isinstance(ref, dict) else ref
            parts.append(media_part(expect(url, str, f"{q}.image_url.url"), f"{q}.image_url.url", media))
        elif kind == "input_audio":
            audio = expect(item.get("input_audio"), dict, f"{q}.input_audio")
            fmt = one_of(audio.get("format"), tuple(_AUDIO_MIME), f"{q}.input_audio.format")
            data = base64_data(audio.get("data"), f"{q}.input_audio.data")
            mime = checked_type(_AUDIO_MIME[fmt], b64_head(data), f"{q}.input_audio.data")
            parts.append({"inlineData": {"mimeType": mime, "data": data}})
        elif kind == "file":
            parts.append(_file(item.get("file"), q, media))
        else:
            raise bad_request(f"{q}.type {kind!r} is not supported; use text, image_url, input_audio or file", f"{q}.type")
    return parts


def _file(ref: object, q: str, media: list[MediaRef]) -> dict:
    ref = expect(ref, dict, f"{q}.file")
    if ref.get("file_id"):
        raise bad_request(f"{q}.file.file_id is not supported; send the file inline as file_data", f"{q}.file.file_id")
    data = expect(ref.get("file_data"), str, f"{q}.file.file_data")
    if data.startswith("data:"):
        return media_part(data, f"{q}.file.file_data", media)
    filename = expect(ref.get("filename") or "", str, f"{q}.file.filename")
    data = base64_data(data, f"{q}.file.file_data")
    head, guessed = b64_head(data), mimetypes.guess_type(filename[-255:], strict=False)[0]
    mime = checked_type(guessed, head, f"{q}.file.file_data") if guessed else sniff(head) or "application/pdf"
    return {"inlineData": {"mimeType": mime, "data": data}}


def _calls(
    msg: dict, p: str, names: ToolNameMap, signatures: list[SignatureRef], call_names: dict[str, str], limits: Limits
) -> list[tuple[str, dict]]:
    """(call id, functionCall part) for each tool call (or the legacy function_call) of an assistant message."""
    if msg.get("tool_calls") is None and msg.get("function_call") is not None:
        legacy = f"{p}.function_call"
        calls = [("", legacy, expect(msg["function_call"], dict, legacy))]
    else:
        raw = expect(msg.get("tool_calls") or [], list, f"{p}.tool_calls")
        at_most(len(raw), limits.parts_per_message, "parts_per_message", f"{p}.tool_calls", "calls")
        calls = []
        for k, call in enumerate(raw):
            q = f"{p}.tool_calls[{k}]"
            expect(call, dict, q)
            call_id = expect(call.get("id") or "", str, f"{q}.id")
            calls.append((call_id, f"{q}.function", expect(call.get("function"), dict, f"{q}.function")))
    out: list[tuple[str, dict]] = []
    for call_id, q, fn in calls:
        name = expect(fn.get("name"), str, f"{q}.name")
        args = _arguments(fn.get("arguments"), f"{q}.arguments", limits)
        call_names[call_id] = name
        part: dict = {"functionCall": {"name": names.to_gemini(name), "args": args}}
        signatures.append(SignatureRef(part, call_id, first_in_turn=not out))
        out.append((call_id, part))
    return out


def _arguments(raw: object, param: str, limits: Limits) -> dict:
    if raw is None or raw == "":
        return {}
    if isinstance(raw, dict):
        args = raw
    else:
        expect(raw, str, param)
        try:
            args = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise bad_request(f"'{param}' must be a JSON object encoded as a string", param) from None
        if not isinstance(args, dict):
            raise bad_request(f"'{param}' must encode a JSON object", param)
    shallow(args, param, limits)
    return args


def _tool_result(
    msg: dict, p: str, role: str, names: ToolNameMap, call_names: dict[str, str], limits: Limits
) -> tuple[dict, str]:
    """The functionResponse part of a tool (or legacy function) message, and the call id it answers."""
    call_id = ""
    if role == "tool":
        call_id = expect(msg.get("tool_call_id"), str, f"{p}.tool_call_id")
        name = call_names.get(call_id) or msg.get("name")
        if not name:
            raise bad_request(
                f"{p}.tool_call_id '{call_id}' matches no tool call of an earlier assistant message; "
                "send the assistant message with its tool_calls before the tool result",
                f"{p}.tool_call_id",
            )
    else:
        name = expect(msg.get("name"), str, f"{p}.name")
    content = msg.get("content")
    if isinstance(content, list):
        texts = []
        for j, item in enumerate(content):
            if isinstance(item, dict) and item.get("text") is not None:
                texts.append(expect(item["text"], str, f"{p}.content[{j}].text"))
        text = "".join(texts)
    else:
        text = "" if content is None else expect(content, str, f"{p}.content")
    response = tool_response(text, f"{p}.content", limits)
    return {"functionResponse": {"name": names.to_gemini(name), "response": response}}, call_id

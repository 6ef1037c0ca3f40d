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
from ..validate import at_most, expect, one_of, unique_call_id

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
            system.extend(content_parts(content, p, media, allow_media=False))
        elif role == "user":
            append_turn(contents, "user", content_parts(content, p, media, allow_media=True))
        elif role == "assistant":
            parts = content_parts(content, p, media, allow_media=False, nullable=True)
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
    order_responses(contents, positions)
    # Only system/developer messages, or only empty ones, are legal too: gemini.normalise makes them sendable.
    return contents, system


def order_responses(contents: list[dict], positions: dict[int, int]) -> None:
    """Sort the parts of each turn holding tool results by `positions` (id() of a functionResponse part -> the
    position of its call in its model turn). Tool results may come in any order; Gemini wants them in the order
    of the calls (shared/reference/antigravity.md §6.3), and only the dialect knows the call ids that say it."""
    for turn in contents:
        if len(turn["parts"]) > 1 and any(id(q) in positions for q in turn["parts"]):
            turn["parts"].sort(key=lambda q: positions.get(id(q), 1 << 30))


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


def content_parts(content: object, p: str, media: list[MediaRef], *, allow_media: bool, nullable: bool = False) -> list:
    """Gemini parts for an OpenAI message `content` (a string or a list of parts) at request path `p`.

    Parts of both OpenAI APIs: Chat Completions' text, image_url, input_audio and file, and the Responses API's
    input_text, output_text, refusal, input_image and input_file; media only where `allow_media` (user
    messages). http(s) media go to `media` for the pipeline. Raises GatewayError 400 naming the field."""
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
        elif kind == "input_image":  # Responses: image_url is the URL itself
            if item.get("file_id"):
                raise bad_request(f"{q}.file_id is not supported; send the image as image_url", f"{q}.file_id")
            parts.append(media_part(expect(item.get("image_url"), str, f"{q}.image_url"), f"{q}.image_url", media))
        elif kind == "input_file":  # Responses: file_data (a data: URL or base64) or file_url, flat
            if item.get("file_url") is not None:
                parts.append(media_part(expect(item["file_url"], str, f"{q}.file_url"), f"{q}.file_url", media))
            else:
                parts.append(_file(item, q, media, flat=True))
        else:
            raise bad_request(
                f"{q}.type {kind!r} is not supported; use text, image_url, input_audio or file (Chat Completions), "
                "or input_text, input_image or input_file (Responses)", f"{q}.type")
    return parts


def _file(ref: object, q: str, media: list[MediaRef], flat: bool = False) -> dict:
    """A file part: Chat's `{"type": "file", "file": {...}}` or, `flat`, Responses' `{"type": "input_file", ...}`."""
    at = q if flat else f"{q}.file"
    ref = expect(ref, dict, at)
    if ref.get("file_id"):
        raise bad_request(f"{at}.file_id is not supported; send the file inline as file_data", f"{at}.file_id")
    data = expect(ref.get("file_data"), str, f"{at}.file_data")
    if data.startswith("data:"):
        return media_part(data, f"{at}.file_data", media)
    filename = expect(ref.get("filename") or "", str, f"{at}.filename")
    data = base64_data(data, f"{at}.file_data")
    head, guessed = b64_head(data), mimetypes.guess_type(filename[-255:], strict=False)[0]
    mime = checked_type(guessed, head, f"{at}.file_data") if guessed else sniff(head) or "application/pdf"
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
        call_names[unique_call_id(call_id, call_names, "tool_call id", q.removesuffix(".function") + ".id")] = name
        part = function_call_part(names.to_gemini(name), fn.get("arguments"), f"{q}.arguments", limits)
        signatures.append(SignatureRef(part, call_id, first_in_turn=not out))
        out.append((call_id, part))
    return out


def function_call_part(gemini_name: str, arguments: object, param: str, limits: Limits) -> dict:
    """A Gemini functionCall part from OpenAI `arguments` (a JSON object, as a string or an object; empty: {}).
    Raises GatewayError 400 naming `param` for anything else or for JSON nested deeper than limits.json_depth."""
    return {"functionCall": {"name": gemini_name, "args": _arguments(arguments, param, limits)}}


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
    return function_response_part(names.to_gemini(name), msg.get("content"), f"{p}.content", limits), call_id


def function_response_part(gemini_name: str, content: object, param: str, limits: Limits) -> dict:
    """A Gemini functionResponse part for a tool's output: a string, or a list of parts whose texts are joined
    (`parts.tool_response` makes the response). Raises GatewayError 400 naming `param`."""
    if isinstance(content, list):
        texts = []
        for j, item in enumerate(content):
            if isinstance(item, dict) and item.get("text") is not None:
                texts.append(expect(item["text"], str, f"{param}[{j}].text"))
        text = "".join(texts)
    else:
        text = "" if content is None else expect(content, str, param)
    return {"functionResponse": {"name": gemini_name, "response": tool_response(text, param, limits)}}

"""Anthropic `system` and `messages` -> Gemini `systemInstruction` parts and `contents`.

Block types per docs.anthropic.com/en/api/messages (and the anthropic SDK's MessageParam types): text,
image (base64, url), document (PDF base64 or url, plain text, content blocks), tool_use, tool_result (a string
or blocks, `is_error`), thinking and redacted_thinking, search_result; `role: "system"` messages inside
`messages` (Claude Code's mid-conversation-system beta, client-harness.md §4) join the system instruction.
Pure: media URLs become MediaRefs, replayed tool calls SignatureRefs; anything Gemini cannot take is a 400
naming the field (`messages[i].content[j]...`).
"""

from __future__ import annotations

from ...config import Limits
from ...errors import bad_request
from ...gemini.names import ToolNameMap
from ...gemini.signatures import SignatureRef
from ...http.sniff import b64_head, checked_type
from ..base import MediaRef
from ..parts import append_turn, base64_data, media_part, shallow, tool_response
from ..validate import at_most, expect, one_of, unique_call_id

# Our thinking blocks' signatures are Gemini thought signatures with this prefix (reply.py), so one made by
# Anthropic for a conversation begun there is told apart and never sent to Google.
SIGNATURE_PREFIX = "gemini:"

_ROLES = ("user", "assistant", "system")
# Blocks of Anthropic's own server tools (web search, code execution, MCP connector ...): results of work done
# on Anthropic's side in an earlier turn, with nothing Gemini could replay; dropped from the history.
_SERVER_BLOCKS = frozenset({
    "server_tool_use", "web_search_tool_result", "web_fetch_tool_result", "code_execution_tool_result",
    "bash_code_execution_tool_result", "text_editor_code_execution_tool_result", "mcp_tool_use",
    "mcp_tool_result", "container_upload", "tool_search_tool_result", "tool_reference",
})  # fmt: skip


class History:
    """What translating one request's messages yields besides the contents: media to fetch, signatures to fill."""

    def __init__(self, names: ToolNameMap, limits: Limits) -> None:
        self.names = names
        self.limits = limits
        self.media: list[MediaRef] = []
        self.signatures: list[SignatureRef] = []
        self.system: list[dict] = []
        self.call_names: dict[str, str] = {}  # tool_use id -> the client's tool name
        self.call_order: dict[str, int] = {}  # tool_use id -> its position among its message's calls
        self.answer_order: dict[int, int] = {}  # id() of a functionResponse part -> the position of its call


def system_parts(system: object, history: History) -> None:
    """The top-level `system` (a string or text blocks) into `history.system`. Raises GatewayError 400 naming
    the field: a wrong type, or more blocks than limits.parts_per_message (the system instruction is one
    Gemini content, bounded as the native dialect bounds it)."""
    if system is None:
        return
    if isinstance(system, str):
        history.system.append({"text": system})
        return
    blocks = expect(system, list, "system")
    at_most(len(blocks), history.limits.parts_per_message, "parts_per_message", "system", "blocks")  # one content
    for j, block in enumerate(blocks):
        q = f"system[{j}]"
        expect(block, dict, q)
        one_of(block.get("type"), ("text",), f"{q}.type")
        history.system.append({"text": expect(block.get("text"), str, f"{q}.text")})


def messages_contents(messages: object, history: History) -> list[dict]:
    """Gemini contents for `messages`: consecutive messages of one role are one turn, system-role messages go
    to the system instruction. Raises GatewayError 400 naming the field, also when a tool_use has no
    tool_result in the next message (Anthropic's own rule; Gemini pairs calls and responses alike)."""
    messages = expect(messages, list, "messages")
    if not messages:
        raise bad_request("messages: at least one message is required", "messages")
    at_most(len(messages), history.limits.messages, "messages", "messages", "messages")
    contents: list[dict] = []
    unanswered: tuple[int, list[str]] | None = None
    for i, msg in enumerate(messages):
        p = f"messages[{i}]"
        expect(msg, dict, p)
        role = one_of(msg.get("role"), _ROLES, f"{p}.role")
        blocks = _blocks(msg.get("content"), p, history.limits)
        if role == "system":
            history.system.extend(_user_parts(blocks, p, history, allow_media=False))
            continue
        if unanswered is not None:
            answered = {expect(b.get("tool_use_id"), str, f"{p}.content[{j}].tool_use_id")
                        for j, b in enumerate(blocks) if b.get("type") == "tool_result"}
            missing = [c for c in unanswered[1] if c not in answered]
            if missing:
                raise bad_request(
                    f"messages.{unanswered[0]}: `tool_use` ids were found without `tool_result` blocks immediately "
                    f"after: {', '.join(missing)}. Each `tool_use` block must have a corresponding `tool_result` "
                    "block in the next message.", f"messages[{unanswered[0]}].content")
            unanswered = None
        if role == "user":
            parts = _user_parts(blocks, p, history, allow_media=True)
            # Gemini pairs responses with calls by position (both may have one name): put them in the calls' order.
            if any(id(q) in history.answer_order for q in parts):
                parts.sort(key=lambda q: history.answer_order.get(id(q), 1 << 30))
            append_turn(contents, "user", parts)
        else:
            parts, calls = _assistant_parts(blocks, p, history)
            if calls:
                unanswered = (i, calls)
            append_turn(contents, "model", parts)
    return contents


def _blocks(content: object, p: str, limits: Limits) -> list[dict]:
    """A message's content as blocks (a string is one text block)."""
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    content = expect(content, list, f"{p}.content")
    at_most(len(content), limits.parts_per_message, "parts_per_message", f"{p}.content", "parts")
    for j, block in enumerate(content):
        expect(block, dict, f"{p}.content[{j}]")
        expect(block.get("type"), str, f"{p}.content[{j}].type")
    return content


def _user_parts(blocks: list[dict], p: str, history: History, *, allow_media: bool) -> list[dict]:
    parts: list[dict] = []
    for j, block in enumerate(blocks):
        q = f"{p}.content[{j}]"
        kind = block["type"]
        if kind == "text":
            parts.append({"text": expect(block.get("text"), str, f"{q}.text")})
        elif kind == "tool_result" and allow_media:
            parts.extend(_tool_result(block, q, history))
        elif kind in ("image", "document", "search_result") and allow_media:
            parts.extend(_media(block, q, history))
        elif kind in _SERVER_BLOCKS or kind in ("thinking", "redacted_thinking"):
            continue
        else:
            where = "user messages" if allow_media else "assistant messages"
            if kind in ("image", "document", "search_result", "tool_result"):
                raise bad_request(f"{q}: content of type {kind!r} is only allowed in user messages", f"{q}.type")
            raise bad_request(f"{q}.type {kind[:80]!r} is not supported in {where}; use text, image, document, "
                              "tool_result (user) or text, thinking, tool_use (assistant)", f"{q}.type")
    return parts


def _media(block: dict, q: str, history: History) -> list[dict]:
    """image / document / search_result -> parts: inline data now, URLs for the pipeline to fetch."""
    kind = block["type"]
    if kind == "search_result":  # a search hit the client passes in: its text blocks, with where it came from
        texts = [expect(b.get("text"), str, f"{q}.content[{k}].text")
                 for k, b in enumerate(expect(block.get("content"), list, f"{q}.content")) if isinstance(b, dict)]
        head = " ".join(str(block.get(k)) for k in ("title", "source") if isinstance(block.get(k), str))
        return [{"text": "\n".join(([head] if head else []) + texts)}]
    source = expect(block.get("source"), dict, f"{q}.source")
    stype = source.get("type")
    if stype == "base64":
        data = base64_data(source.get("data"), f"{q}.source.data")
        declared = expect(source.get("media_type"), str, f"{q}.source.media_type")
        mime = checked_type(declared, b64_head(data), f"{q}.source.data")
        return [{"inlineData": {"mimeType": mime, "data": data}}]
    if stype == "url":
        return [media_part(expect(source.get("url"), str, f"{q}.source.url"), f"{q}.source.url", history.media)]
    if kind == "document" and stype == "text":
        return [{"text": expect(source.get("data"), str, f"{q}.source.data")}]
    if kind == "document" and stype == "content":
        inner = source.get("content")
        blocks = _blocks(inner, f"{q}.source", history.limits)
        return _user_parts(blocks, f"{q}.source", history, allow_media=True)
    if stype == "file":
        raise bad_request(f"{q}.source: files uploaded to Anthropic's Files API are not available here; send the "
                          "data inline (base64) or by url", f"{q}.source.type")
    choices = ("base64", "url", "text", "content") if kind == "document" else ("base64", "url")
    one_of(stype, choices, f"{q}.source.type")
    return []


def _tool_result(block: dict, q: str, history: History) -> list[dict]:
    """A functionResponse part for the named call, then any image or document the result holds."""
    call_id = expect(block.get("tool_use_id"), str, f"{q}.tool_use_id")
    name = history.call_names.get(call_id)
    if name is None:
        raise bad_request(f"{q}: unexpected `tool_use_id` found in `tool_result` blocks: {call_id[:100]}. Each "
                          "`tool_result` block must have a corresponding `tool_use` block in the previous message.",
                          f"{q}.tool_use_id")
    content = block.get("content")
    texts: list[str] = []
    extra: list[dict] = []
    if isinstance(content, str) or content is None:
        texts.append(content or "")
    else:
        for k, item in enumerate(_blocks(content, q, history.limits)):
            if item["type"] == "text":
                texts.append(expect(item.get("text"), str, f"{q}.content[{k}].text"))
            else:
                extra.extend(_media_or_text(item, f"{q}.content[{k}]", history))
    text = "\n".join(texts)
    is_error = block.get("is_error")
    if is_error is not None:
        expect(is_error, bool, f"{q}.is_error")
    response = {"error": text} if is_error else tool_response(text, f"{q}.content", history.limits)
    part = {"functionResponse": {"name": history.names.to_gemini(name), "response": response}}
    history.answer_order[id(part)] = history.call_order.get(call_id, 1 << 30)
    return [part, *extra]


def _media_or_text(item: dict, q: str, history: History) -> list[dict]:
    """A non-text block of a tool result: image, document or search result; anything else a 400."""
    if item["type"] in ("image", "document", "search_result"):
        return _media(item, q, history)
    raise bad_request(f"{q}.type {item['type'][:80]!r} is not supported in a tool_result; use text, image, "
                      "document or search_result", f"{q}.type")


def _assistant_parts(blocks: list[dict], p: str, history: History) -> tuple[list[dict], list[str]]:
    """Parts of an assistant message and the ids of its tool calls. A thinking block's signature (ours) goes
    on the function call after it, where Gemini checks it; thinking text is not sent back (Gemini keeps no
    use for it), redacted thinking and server-tool blocks neither."""
    parts: list[dict] = []
    calls: list[str] = []
    signature: str | None = None
    for j, block in enumerate(blocks):
        q = f"{p}.content[{j}]"
        kind = block["type"]
        if kind == "text":
            parts.append({"text": expect(block.get("text"), str, f"{q}.text")})
        elif kind == "thinking":
            expect(block.get("thinking"), str, f"{q}.thinking")
            sig = block.get("signature")
            if sig is not None and expect(sig, str, f"{q}.signature").startswith(SIGNATURE_PREFIX):
                signature = sig[len(SIGNATURE_PREFIX):] or None
        elif kind == "tool_use":
            call_id = unique_call_id(expect(block.get("id"), str, f"{q}.id"), history.call_names, "`tool_use` id",
                                     f"{q}.id")
            name = expect(block.get("name"), str, f"{q}.name")
            args = block.get("input")
            args = {} if args is None else expect(args, dict, f"{q}.input")
            shallow(args, f"{q}.input", history.limits)
            history.call_names[call_id] = name
            history.call_order[call_id] = len(calls)
            part: dict = {"functionCall": {"name": history.names.to_gemini(name), "args": args}}
            if signature:
                part["thoughtSignature"] = signature  # the store's copy, when it has one, is the same
                signature = None
            history.signatures.append(SignatureRef(part, call_id, first_in_turn=not calls))
            calls.append(call_id)
            parts.append(part)
        elif kind == "redacted_thinking" or kind in _SERVER_BLOCKS:
            continue
        else:
            raise bad_request(f"{q}.type {kind[:80]!r} is not supported in assistant messages; use text, thinking, "
                              "redacted_thinking or tool_use", f"{q}.type")
    return parts, calls

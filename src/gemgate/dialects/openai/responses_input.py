"""Responses API `input` → Gemini `contents` and `systemInstruction` parts.

Items per platform.openai.com/docs/api-reference/responses/create#responses-create-input: messages (roles user,
assistant, system, developer; content a string or input_text / input_image / input_file / output_text / refusal
parts), `function_call`, `function_call_output`, and `reasoning` (whose encrypted_content may carry thought
signatures, `responses_carry`). Items of hosted tools Gemini does not run (web_search_call, local_shell_call, …)
carry nothing Gemini can use and are skipped, and so are item types newer than this gateway (said in
X-Gemgate-Adjusted), so a client's history never makes a 400 for what it holds. Pure: http(s) media
become MediaRefs, replayed calls SignatureRefs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ...config import Limits
from ...errors import bad_request
from ...gemini.names import ToolNameMap
from ...gemini.signatures import SignatureRef
from ..base import MediaRef
from ..validate import at_most, expect, one_of, unique_call_id
from ..parts import append_turn
from .chat_messages import content_parts, function_call_part, function_response_part, order_responses
from .responses_carry import apply_entries, sealed_origin, unseal
from .responses_tools import qualified

_ROLES = ("user", "assistant", "system", "developer")
# Items the model's history is told nothing about: what hosted tools (not run here) did, and bookkeeping.
SKIPPED_ITEMS = frozenset({
    "web_search_call", "file_search_call", "computer_call", "computer_call_output", "code_interpreter_call",
    "image_generation_call", "local_shell_call", "local_shell_call_output", "shell_call", "shell_call_output",
    "apply_patch_call", "apply_patch_call_output", "mcp_list_tools", "mcp_approval_request", "mcp_approval_response",
    "mcp_call", "custom_tool_call", "custom_tool_call_output", "compaction", "tool_search_call", "tool_search_output",
})  # fmt: skip


@dataclass
class Converted:
    """What `input` became: Gemini contents, the system parts of system/developer messages, the media and
    signature references for the pipeline."""

    contents: list[dict] = field(default_factory=list)
    system: list[dict] = field(default_factory=list)
    media: list[MediaRef] = field(default_factory=list)
    signatures: list[SignatureRef] = field(default_factory=list)
    # functionResponse parts answering calls of the previous response: (part, call_id, request field); their
    # names are filled when the stored response is loaded
    pending: list[tuple[dict, str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # items left out, for X-Gemgate-Adjusted


def input_names(items: object) -> list[str]:
    """Tool names the input replays (function_call items), to be claimed in the name map first."""
    found = [qualified(i.get("namespace"), i.get("name")) for i in items
             if isinstance(i, dict) and i.get("type") == "function_call"] if isinstance(items, list) else []
    return [n for n in found if isinstance(n, str)]


class _Turn:
    """The model turn being built from consecutive output items: its parts' call ids and carried signatures."""

    def __init__(self) -> None:
        self.parts: list[dict] | None = None  # the model turn's parts list in contents
        self.call_ids: dict[int, str] = {}
        self.entries: list[dict] = []
        self.refs: list[SignatureRef] = []  # the turn's calls
        self.origin: str | None = None  # the upstream kind that issued the carried signatures
        self.calls = 0

    def close(self) -> None:
        if self.parts is not None and self.entries:
            apply_entries(self.parts, self.call_ids, self.entries)
            for ref in self.refs:  # the pipeline prefers the issuing kind (gemini.signatures.issuing_kinds)
                if "thoughtSignature" in ref.part:
                    ref.origin = self.origin
        self.__init__()


def responses_input(value: object, names: ToolNameMap, limits: Limits, previous: bool = False,
                    field: str = "input", open_calls: bool = False) -> Converted:
    """Convert `input` (a string, or a list of items; `field` names it in errors). Raises GatewayError 400
    naming the field (`input[i]....`): wrong types, unknown roles or item types, a function_call_output whose
    call_id no earlier function_call has (unless it may answer the `previous` response: then it is `pending`),
    or a function_call left without output before the next message (OpenAI: "No tool output found for function
    call ..."), or at the end unless `open_calls` (a conversation's items, whose outputs may come later)."""
    out = Converted()
    if isinstance(value, str):
        append_turn(out.contents, "user", [{"text": value}])
        return out
    items = expect(value, list, field)
    at_most(len(items), limits.messages, "messages", field, "items")
    turn = _Turn()
    call_names: dict[str, str] = {}
    call_index: dict[str, int] = {}
    positions: dict[int, int] = {}
    unanswered: dict[str, int] = {}
    for i, item in enumerate(items):
        p = f"{field}[{i}]"
        expect(item, dict, p)
        kind = item.get("type", "message")
        if kind == "message" or (kind is None and "role" in item):
            role = one_of(item.get("role"), _ROLES, f"{p}.role")
            content = item.get("content")
            if isinstance(content, list):
                at_most(len(content), limits.parts_per_message, "parts_per_message", f"{p}.content", "parts")
            if role in ("system", "developer"):
                out.system.extend(content_parts(content, p, out.media, allow_media=False))
            elif role == "user":
                _answered(unanswered, field)
                turn.close()
                append_turn(out.contents, "user", content_parts(content, p, out.media, allow_media=True))
            else:  # an answer may follow its own response's calls: outputs are checked at the next user message
                _model(out, turn, content_parts(content, p, out.media, allow_media=False, nullable=True))
        elif kind == "function_call":
            call_id = unique_call_id(expect(item.get("call_id"), str, f"{p}.call_id"), call_names, "call_id",
                                     f"{p}.call_id")
            name = expect(item.get("name"), str, f"{p}.name")
            if item.get("namespace") is not None:
                name = qualified(expect(item["namespace"], str, f"{p}.namespace"), name)
            part = function_call_part(names.to_gemini(name), item.get("arguments"), f"{p}.arguments", limits)
            call_names[call_id], call_index[call_id], unanswered[call_id] = name, turn.calls, i
            out.signatures.append(SignatureRef(part, call_id, first_in_turn=turn.calls == 0))
            turn.refs.append(out.signatures[-1])
            turn.calls += 1
            turn.call_ids[id(part)] = call_id
            _model(out, turn, [part])
        elif kind == "function_call_output":
            call_id = expect(item.get("call_id"), str, f"{p}.call_id")
            if call_id not in call_names and not previous:
                raise unknown_call(call_id, f"{p}.call_id")
            turn.close()
            unanswered.pop(call_id, None)
            name = names.to_gemini(call_names[call_id]) if call_id in call_names else ""
            part = function_response_part(name, item.get("output"), f"{p}.output", limits)
            if call_id in call_index:
                positions[id(part)] = call_index[call_id]
            else:
                out.pending.append((part, call_id, f"{p}.call_id"))
            append_turn(out.contents, "user", [part])
        elif kind == "reasoning":
            turn.entries += unseal(item.get("encrypted_content"))
            turn.origin = sealed_origin(item.get("encrypted_content")) or turn.origin
        elif not isinstance(kind, str):
            expect(kind, str, f"{p}.type")
        elif kind not in SKIPPED_ITEMS:  # an item type newer than this gateway: the rest of the history still counts
            out.notes.append(f"{p} of type {kind[:40]} left out (not an item Gemini can take)")
    if not open_calls:
        _answered(unanswered, field)
    turn.close()
    order_responses(out.contents, positions)
    return out


def unknown_call(call_id: str, param: str):
    """OpenAI's 400 for a function_call_output answering no known call."""
    return bad_request(f"No tool call found for function call output with call_id {call_id[:200]}.", param)


def _model(out: Converted, turn: _Turn, parts: list[dict]) -> None:
    """Add parts to the model turn being built."""
    if not parts:
        return
    append_turn(out.contents, "model", parts)
    turn.parts = out.contents[-1]["parts"]


def _answered(unanswered: dict[str, int], field: str) -> None:
    """OpenAI's 400 for a function_call with no function_call_output before the next message."""
    if unanswered:
        call_id, at = next(iter(unanswered.items()))
        raise bad_request(f"No tool output found for function call {call_id[:200]}.", f"{field}[{at}]")

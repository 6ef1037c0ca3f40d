"""OpenAI Responses API request (`POST /v1/responses`) → Gemini GenerateContentRequest.

Source: platform.openai.com/docs/api-reference/responses/create, and what Codex sends (reference/client-harness.md
§2: developer messages for the system prompt, `include: ["reasoning.encrypted_content"]`, `store: false`,
`prompt_cache_key`, hosted tools beside function tools). Fields are translated, accepted without effect (said
in X-Gemgate-Adjusted when they ask for something), or refused with a 400 naming them.
"""

from __future__ import annotations

from ...errors import bad_request
from ...gemini.names import ToolNameMap
from ...gemini.thinking import ThinkingRequest
from ..base import Generation, ParseInput, RenderContext
from ..validate import expect, integer, no_unknown, one_of
from .chat_request import REQUEST_RULE_NAMES, json_schema_config, reasoning_effort
from ..parts import gemini_request, sampling_config
from .responses_input import Converted, input_names, responses_input
from .conversations import conversation_id, conversation_items
from .responses_items import item_references, with_ids
from .responses_reply import Echo, ResponsesReply
from .responses_store import continue_from, referenced_items
from .responses_tools import declared_names, responses_tools

KNOWN_FIELDS = frozenset({
    "model", "input", "instructions", "stream", "stream_options", "tools", "tool_choice", "parallel_tool_calls",
    "reasoning", "text", "max_output_tokens", "temperature", "top_p", "include", "store", "previous_response_id",
    "prompt_cache_key", "prompt_cache_retention", "prompt_cache_options", "metadata", "user", "safety_identifier",
    "service_tier", "truncation", "max_tool_calls", "top_logprobs", "background", "conversation", "prompt",
    "client_metadata", "context_management", "moderation", "access_programs", "background_options", "image",
})  # fmt: skip
# Refused unless empty: what they ask needs OpenAI's own services.
REFUSED_FIELDS = {
    "prompt": "OpenAI's stored prompt templates are not available here; send the instructions and input",
}
INCLUDABLE = frozenset({
    "reasoning.encrypted_content", "message.output_text.logprobs", "web_search_call.action.sources",
    "web_search_call.results", "code_interpreter_call.outputs", "computer_call_output.output.image_url",
    "file_search_call.results", "message.input_image.image_url",
})  # fmt: skip
_SUMMARIES = ("auto", "concise", "detailed", "none")
_ECHOED = ("instructions", "max_output_tokens", "metadata", "parallel_tool_calls", "previous_response_id",
           "prompt_cache_key", "safety_identifier", "service_tier", "temperature", "text", "tool_choice", "tools",
           "top_p", "truncation", "user", "reasoning")
_DEFAULTS = {"instructions": None, "max_output_tokens": None, "metadata": {}, "parallel_tool_calls": True,
             "previous_response_id": None, "temperature": None, "text": {"format": {"type": "text"}},
             "tool_choice": "auto", "tools": [], "top_p": None, "truncation": "disabled",
             "reasoning": {"effort": None, "summary": None}, "service_tier": "default"}
RULE_NAMES = {**REQUEST_RULE_NAMES, "responseMimeType": "text.format", "builtin": "tools", "candidateCount": "n"}
# Headers naming the client's conversation (Codex: session-id, thread-id); kept for account affinity.
SESSION_HEADERS = ("session-id", "session_id", "x-session-id", "thread-id", "conversation-id")


def parse_responses(inp: ParseInput) -> Generation:
    """A Responses request body -> a Generation whose reply renders a response object or its events.

    Pure: image and file URLs become MediaRefs, replayed calls SignatureRefs; a previous_response_id is
    loaded by the Generation's `resolve`. Raises GatewayError 400 naming the field."""
    body = expect(inp.body, dict, "body")
    no_unknown(body, KNOWN_FIELDS, "")
    for name, why in REFUSED_FIELDS.items():
        if body.get(name) not in (None, False, {}, [], ""):
            raise bad_request(f"'{name}' is not supported here ({why})", name)
    model = body.get("model")
    if model is None:
        raise bad_request("'model' is required", "model")
    stream = bool(expect(body.get("stream") or False, bool, "stream"))
    for name in ("store", "parallel_tool_calls"):
        if body.get(name) is not None:
            expect(body[name], bool, name)
    for name in ("previous_response_id", "prompt_cache_key", "user", "safety_identifier", "service_tier"):
        if body.get(name) is not None:
            expect(body[name], str, name)
    for name in ("metadata", "client_metadata", "stream_options"):
        if body.get(name) is not None:
            expect(body[name], dict, name)
    include = expect(body.get("include") or [], list, "include")
    for i, entry in enumerate(include):
        one_of(expect(entry, str, f"include[{i}]"), tuple(sorted(INCLUDABLE)), f"include[{i}]")
    notes: list[str] = []

    replayed = input_names(body.get("input"))
    names = ToolNameMap(declared_names(body.get("tools")) + replayed)
    schemas: dict[str, dict] = {}
    namespaced: dict[str, tuple[str, str]] = {}
    tools, tool_config = responses_tools(body, names, schemas, inp.limits, notes, namespaced)
    if body.get("input") is None:
        raise bad_request("'input' is required: a string or a list of items", "input")
    previous = body.get("previous_response_id") or None
    refs = item_references(body["input"])
    conversation = conversation_id(body["conversation"]) if body.get("conversation") is not None else None
    if conversation and previous:  # OpenAI: "mutually exclusive"
        raise bad_request("'conversation' and 'previous_response_id' cannot be used together; send one",
                          "conversation")
    # With item references or a conversation the input is converted once they are loaded (`_resolver`).
    deferred = bool(refs or conversation)
    if deferred:  # checked now for errors naming this input's own items; an output may answer an earlier call
        responses_input(body["input"], names, inp.limits, previous=True)
    converted = Converted() if deferred else responses_input(body["input"], names, inp.limits, previous=bool(previous))
    notes += converted.notes
    system = []
    if body.get("instructions") is not None:
        instructions = expect(body["instructions"], str, "instructions")
        if instructions:
            system.append({"text": instructions})
    system += converted.system
    gemini = gemini_request(converted.contents, system, tools, tool_config, _generation_config(body, notes))
    thinking, summaries = _thinking(body.get("reasoning"))
    fields = {k: body[k] if body.get(k) is not None else _DEFAULTS.get(k) for k in _ECHOED}
    fields["reasoning"] = {"effort": (body.get("reasoning") or {}).get("effort"), "summary": (body.get("reasoning") or {}).get("summary")}
    store = body.get("store") is not False
    fields["store"] = store
    if conversation:
        fields["conversation"] = {"id": conversation}
    background = _background(body, stream, store)
    echo = Echo(model if isinstance(model, str) else "", fields, store, summaries,
                "reasoning.encrypted_content" in include, own=list(converted.contents), system=converted.system,
                items=[] if deferred else with_ids(body["input"]), previous=previous, background=background,
                conversation=conversation)
    reply = ResponsesReply(echo, names, schemas, namespaced)
    work = Generation(model, gemini, stream, reply, thinking, converted.media, converted.signatures, tuple(notes),
                      names=RULE_NAMES)
    work.affinity = _affinity(body, inp)
    work.background = background
    if previous or deferred:
        work.resolve = _resolver(body["input"], refs, work, echo, converted.pending, names, inp)
    return work


def _resolver(raw: list, refs: list[tuple[int, str]], work: Generation, echo: Echo, pending: list,
              names: ToolNameMap, inp: ParseInput):
    """A `Generation.resolve`: the referenced items loaded and the input converted with them (when `refs`) after
    the conversation's items (when `echo.conversation`), then the previous response's chain put before it (when
    `echo.previous`). A conversation response keeps no Gemini contents of its own: the conversation holds its
    history (and it is not continued by previous_response_id, `responses_store.chain`)."""

    async def resolve(ctx: RenderContext) -> None:
        """Load what the request refers to from this client's stored responses and conversations."""
        nonlocal pending
        if refs or echo.conversation:
            found = await referenced_items(ctx, [(rid, f"input[{i}].id") for i, rid in refs],
                                           inp.limits.body_bytes)
            at = dict(refs)
            given = [{"role": "user", "content": raw}] if isinstance(raw, str) else raw
            items = [found[item["id"]] if i in at else item for i, item in enumerate(given)]
            history = await conversation_items(ctx, echo.conversation) if echo.conversation else []
            converted = responses_input(history + items, names, inp.limits, previous=bool(echo.previous))
            work.request["contents"] = converted.contents
            if converted.system:
                work.request.setdefault("systemInstruction", {"parts": []})["parts"].extend(converted.system)
            work.media += converted.media
            work.signatures += converted.signatures
            work.adjusted += tuple(converted.notes)
            echo.own, echo.system, echo.items = list(converted.contents), converted.system, with_ids(items)
            if echo.conversation:
                echo.own, echo.system = [], []
            pending = converted.pending
        if echo.previous:
            await continue_from(echo.previous, work, echo.system, pending, names, inp.limits.messages)(ctx)

    return resolve


def _background(body: dict, stream: bool, store: bool) -> bool:
    """Whether the response runs in the background (gemgate.background). OpenAI's rule: background needs
    store (platform.openai.com/docs/guides/background). A background stream (resumed with `starting_after`)
    is not offered: its events would have to be kept for replay. Raises GatewayError 400 for either."""
    if not expect(body.get("background") or False, bool, "background"):
        return False
    if not store:
        raise bad_request("Background mode requires store=true; send store true (or leave it out) with "
                          "background", "background")
    if stream:
        raise bad_request("'background' with 'stream' is not supported here: send background without stream "
                          "and poll GET /v1/responses/{id}, or stream without background", "stream")
    return True


def _affinity(body: dict, inp: ParseInput) -> str | None:
    """What names the client's conversation (prompt_cache_key, else a session header), for account affinity."""
    if body.get("prompt_cache_key"):
        return body["prompt_cache_key"]
    headers = inp.headers
    return next((headers[h] for h in SESSION_HEADERS if headers.get(h)), None)


def _generation_config(body: dict, notes: list[str]) -> dict:
    """generationConfig from temperature, top_p, max_output_tokens and text.format."""
    config = sampling_config(body)
    if body.get("max_output_tokens") is not None:
        config["maxOutputTokens"] = integer(body["max_output_tokens"], "max_output_tokens", 1)
    if body.get("top_logprobs"):
        notes.append("top_logprobs ignored (log probabilities are not returned on this endpoint)")
    text = body.get("text")
    if text is not None:
        expect(text, dict, "text")
        fmt = text.get("format")
        if fmt is not None:
            expect(fmt, dict, "text.format")
            kind = one_of(fmt.get("type"), ("text", "json_object", "json_schema"), "text.format.type")
            if kind == "json_object":
                config["responseMimeType"] = "application/json"
            elif kind == "json_schema":
                config.update(json_schema_config(fmt.get("schema"), "text.format.schema"))
    return config


def _thinking(reasoning: object) -> tuple[ThinkingRequest | None, bool]:
    """(What `reasoning` asks of thinking, whether thought summaries were asked for). Thoughts are asked of
    Gemini only when a summary is wanted: nothing else shows them."""
    if reasoning is None:
        return ThinkingRequest(include_thoughts=False), False
    expect(reasoning, dict, "reasoning")
    effort = None
    if reasoning.get("effort") is not None:
        effort = reasoning_effort(reasoning["effort"], "reasoning.effort")
    summary = reasoning.get("summary", reasoning.get("generate_summary"))
    if summary is not None:
        one_of(summary, _SUMMARIES, "reasoning.summary")
    summaries = summary not in (None, "none") and effort != "none"
    return ThinkingRequest(effort=effort, include_thoughts=summaries), summaries

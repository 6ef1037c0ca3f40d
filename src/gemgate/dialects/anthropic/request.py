"""Anthropic Messages requests (`POST /v1/messages`, `/v1/messages/count_tokens`) -> Gemini requests.

Fields per docs.anthropic.com/en/api/messages and the anthropic SDK's MessageCreateParams (beta included, SDK
2.17): each is translated, accepted without effect (Anthropic-side bookkeeping: prompt caching, context
management, billing, routing, tracking), or refused with a 400 in Anthropic's words naming it.
"""

from __future__ import annotations

from functools import partial

from ...catalog import ModelSpec
from ...errors import bad_request
from ...gemini.names import ToolNameMap
from ...gemini.normalise import normalise_history
from ...gemini.param_ranges import MAX_STOP_SEQUENCES
from ...gemini.stops import reporting_cut, stop_sequences
from ...gemini.schema import to_gemini_schema
from ...gemini.thinking import ThinkingRequest
from ...upstreams.base import Capability
from ..base import Generation, ParseInput, Unary
from ..parts import sampling_config
from ..validate import INT32_MAX, expect, integer, one_of
from .content import History, messages_contents, system_parts
from .reply import MessagesReply
from .tools import anthropic_tools

# Accepted and without effect: they steer Anthropic's own machinery (prompt cache, context editing and
# compaction, billing, service tier and region, diagnostics, fallbacks, threads, code-execution containers)
# or are tracking ids. README "Fields accepted without effect" lists them.
NO_EFFECT_FIELDS = frozenset({
    "metadata", "cache_control", "context_management", "service_tier", "inference_geo", "speed", "diagnostics",
    "billing_policy", "fallback_credit_token", "compaction", "fallbacks", "thread", "container",
})  # fmt: skip
KNOWN_FIELDS = NO_EFFECT_FIELDS | {
    "model", "messages", "max_tokens", "system", "stream", "stop_sequences", "temperature", "top_p", "top_k",
    "tools", "tool_choice", "thinking", "output_config", "output_format", "mcp_servers",
}  # fmt: skip
# Anthropic's effort names (output_config.effort) as the gateway's (gemini.thinking.EFFORTS): xhigh and max are
# both the model's deepest setting.
_EFFORTS = {"low": "low", "medium": "medium", "high": "high", "xhigh": "max", "max": "max"}
_OUTPUT_CONFIG = frozenset({"effort", "format", "task_budget"})
# What gemini.request_rules names when a model refuses a parameter or a combination: this API's own fields.
REQUEST_RULE_NAMES = {
    "responseMimeType": "output_config.format", "functionDeclarations": "tools", "builtin": "tools",
    "modeNone": "tool_choice \"none\"", "includeServerSideToolInvocations": "",
}  # fmt: skip


def parse_messages(inp: ParseInput) -> Generation:
    """A Messages request -> a Generation (Gemini GenerateContentRequest and the reply that renders it).

    Pure: media URLs become MediaRefs, replayed tool calls SignatureRefs. Raises GatewayError 400 naming the
    field for anything wrong or that Gemini cannot take.
    """
    body = _body(inp)
    stream = False if body.get("stream") is None else expect(body["stream"], bool, "stream")
    if "max_tokens" not in body:
        _required("max_tokens")
    max_tokens = integer(body["max_tokens"], "max_tokens", 1, INT32_MAX)
    notes: list[str] = []
    request, names, schemas, history = _translate(body, inp, notes)
    config = _generation_config(body)
    config["maxOutputTokens"] = max_tokens
    request["generationConfig"] = config
    reply = MessagesReply(body["model"], names, schemas, stream)
    # stop_sequences are matched by the gateway alone, which says which one stopped the answer: sent to Google,
    # a sequence it meets itself would come back as a plain STOP (end_turn), naming none.
    stops = stop_sequences(request)
    config.pop("stopSequences", None)
    return Generation(body["model"], request, stream, reply, _thinking(body), history.media, history.signatures,
                      tuple(notes), names=REQUEST_RULE_NAMES,
                      cut=partial(reporting_cut, stops) if stops else None)


def parse_count_tokens(inp: ParseInput) -> Unary:
    """A count_tokens request -> a COUNT_TOKENS call answered `{"input_tokens": N}` (Gemini's totalTokens for
    the same contents, system instruction and tools). Media by URL is fetched as for `/v1/messages` (the
    pipeline's SSRF-guarded fetcher) before counting."""
    body = _body(inp)
    request, _, _, history = _translate(body, inp, [])

    def build(spec: ModelSpec) -> dict:
        normalise_history(request)
        return {"generateContentRequest": {"model": f"models/{spec.model}", **request}}

    def render(result: dict, spec: ModelSpec) -> dict:
        return {"input_tokens": int(result.get("totalTokens") or 0)}

    return Unary(body["model"], Capability.COUNT_TOKENS, build, render, media=history.media)


def _required(name: str) -> None:
    """A 400 for a missing field, in Anthropic's words."""
    raise bad_request(f"{name}: Field required", name)


def _body(inp: ParseInput) -> dict:
    body = expect(inp.body, dict, "body")
    for key in body:
        if key not in KNOWN_FIELDS:
            raise bad_request(f"{key}: Extra inputs are not permitted", key)
    if "model" not in body:
        _required("model")
    if not expect(body["model"], str, "model"):
        raise bad_request("model: String should have at least 1 character", "model")
    if "messages" not in body:
        _required("messages")
    if body.get("mcp_servers"):  # Anthropic's MCP connector calls remote servers from Anthropic's side
        raise bad_request("mcp_servers: the MCP connector is not available on Gemini models; declare the MCP "
                          "server's tools in 'tools' and run them yourself", "mcp_servers")
    if body.get("metadata") is not None:
        expect(body["metadata"], dict, "metadata")
    return body


def _translate(body: dict, inp: ParseInput, notes: list[str]) -> tuple[dict, ToolNameMap, dict, History]:
    """(contents, systemInstruction, tools, toolConfig and responseSchema of the request, the tool-name map, the
    declared schemas, the History with media and signatures)."""
    names = ToolNameMap(_tool_names(body))
    schemas: dict[str, dict] = {}
    tools, tool_config = anthropic_tools(body, names, schemas, inp.limits, notes)
    history = History(names, inp.limits)
    system_parts(body.get("system"), history)
    request: dict = {"contents": messages_contents(body.get("messages"), history)}
    if history.system:
        request["systemInstruction"] = {"parts": history.system}
    if tools:
        request["tools"] = tools
    if tool_config:
        request["toolConfig"] = tool_config
    return request, names, schemas, history


def _tool_names(body: dict) -> list[str]:
    """Every tool name declared or replayed, so valid ones are claimed before any is renamed."""
    tools = body.get("tools")
    found = [t.get("name") for t in tools if isinstance(t, dict)] if isinstance(tools, list) else []
    messages = body.get("messages")
    for msg in messages if isinstance(messages, list) else ():
        content = msg.get("content") if isinstance(msg, dict) else None
        for block in content if isinstance(content, list) else ():
            if isinstance(block, dict) and block.get("type") == "tool_use":
                found.append(block.get("name"))
    return [n for n in found if isinstance(n, str)]


def _generation_config(body: dict) -> dict:
    """Sampling, stop sequences and structured output (output_config.format or the older output_format)."""
    config = sampling_config(body)
    stops = body.get("stop_sequences")
    if stops is not None:
        for i, s in enumerate(expect(stops, list, "stop_sequences")):
            expect(s, str, f"stop_sequences[{i}]")
        if len(stops) > MAX_STOP_SEQUENCES:
            raise bad_request(f"stop_sequences: Gemini models take at most {MAX_STOP_SEQUENCES} stop sequences",
                              "stop_sequences")
        if stops:
            config["stopSequences"] = stops
    fmt, at = _output_format(body)
    if fmt is not None:
        one_of(fmt.get("type"), ("json_schema",), f"{at}.type")
        config["responseMimeType"] = "application/json"
        schema = to_gemini_schema(expect(fmt.get("schema"), dict, f"{at}.schema"), response=True)
        if schema:
            config["responseSchema"] = schema
    return config


def _output_config(body: dict) -> dict:
    config = body.get("output_config")
    if config is None:
        return {}
    config = expect(config, dict, "output_config")
    for key in config:
        if key not in _OUTPUT_CONFIG:
            raise bad_request(f"output_config.{key}: Extra inputs are not permitted", f"output_config.{key}")
    return config


def _output_format(body: dict) -> tuple[dict | None, str]:
    fmt = _output_config(body).get("format")
    if fmt is not None:
        return expect(fmt, dict, "output_config.format"), "output_config.format"
    if body.get("output_format") is not None:
        return expect(body["output_format"], dict, "output_format"), "output_format"
    return None, ""


def _thinking(body: dict) -> ThinkingRequest:
    """`thinking` and `output_config.effort` as a ThinkingRequest. Thoughts are shown only when thinking is
    enabled or adaptive (Anthropic answers thinking blocks only then); an explicit budget_tokens is strict (a
    model that cannot think, or a budget outside the model's range, is a 400 naming it), adaptive thinking and
    effort are left to the model (one that cannot think just answers)."""
    effort = None
    raw = _output_config(body).get("effort")
    if raw is not None:
        effort = _EFFORTS[one_of(expect(raw, str, "output_config.effort"), tuple(_EFFORTS), "output_config.effort")]
    thinking = body.get("thinking")
    if thinking is None:
        return ThinkingRequest(effort=effort, include_thoughts=False, adaptive=True)
    thinking = expect(thinking, dict, "thinking")
    kind = one_of(thinking.get("type"), ("enabled", "adaptive", "disabled"), "thinking.type")
    display = thinking.get("display")
    if display is not None:
        one_of(display, ("summarized", "omitted"), "thinking.display")
    shown = display != "omitted"
    if kind == "disabled":
        return ThinkingRequest(effort="none", include_thoughts=False, adaptive=True)
    if kind == "adaptive":
        return ThinkingRequest(effort=effort or "auto", include_thoughts=shown, adaptive=True)
    if "budget_tokens" not in thinking:
        _required("thinking.budget_tokens")
    budget = integer(thinking["budget_tokens"], "thinking.budget_tokens", 1, INT32_MAX)
    return ThinkingRequest(budget=budget, include_thoughts=shown, param="thinking.budget_tokens")

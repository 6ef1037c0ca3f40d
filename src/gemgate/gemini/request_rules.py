"""The parameters and combinations a model family rejects (`capabilities.Accepts`), applied to a Gemini
GenerateContentRequest for every dialect (called by `catalog.apply_model_spec`).

Two outcomes, decided per rule:
  * a value with no effect on a model that refuses the parameter (a penalty of 0 - whether Google refuses
    it is not reported either way, and dropping it is safe -, responseLogprobs false, the tool-context flag
    on a model without it) is dropped, and a note says so (the X-Gemgate-Adjusted header);
  * anything else the model refuses raises `Refused` naming the client's own parameter (`names`) and saying
    what to do: a non-zero penalty, asked-for logprobs or several candidates would change what the client
    gets back, and a combination (JSON output with tools) changes the request's meaning, so none of them is
    dropped.

Google's wording for each rule, and the sources, are in `capabilities` ([penalty], [logprobs], [json+fn],
[tool+fn], [tool+json], [n]) and in the fake (`gemgate.testing.gemini_validation`).
"""

from __future__ import annotations

from collections.abc import Mapping

from .capabilities import Refused, capabilities

# Tools Google runs itself (ai.google.dev/api/caching#Tool); functionDeclarations are the client's own.
BUILTIN_TOOLS = ("googleSearch", "googleSearchRetrieval", "codeExecution", "urlContext", "googleMaps", "fileSearch")
_FLAG = "includeServerSideToolInvocations"

# The Gemini-native names of what the rules may refuse; other dialects pass their own (see `names`).
GEMINI_NAMES: Mapping[str, str] = {
    "presencePenalty": "generationConfig.presencePenalty",
    "frequencyPenalty": "generationConfig.frequencyPenalty",
    "responseLogprobs": "generationConfig.responseLogprobs",
    "responseMimeType": "generationConfig.responseMimeType",
    "candidateCount": "generationConfig.candidateCount",
    "functionDeclarations": "tools[].functionDeclarations",
    "builtin": "tools",
    "modeNone": "toolConfig.functionCallingConfig.mode NONE",
    _FLAG: f"toolConfig.{_FLAG}",
}


# The generationConfig fields some rule reads: a request with none of them, no tools and no toolConfig (most
# requests) meets no rule, on any model, and is passed with one set test.
_RULED_GENERATION = frozenset(
    {"presencePenalty", "frequencyPenalty", "responseLogprobs", "logprobs", "candidateCount", "responseMimeType"}
)


def apply_request_rules(
    model: str, request: dict, names: Mapping[str, str] | None = None, search_param: str | None = None
) -> tuple[str, ...]:
    """Check `request` (camelCase, changed in place) against what `model`'s family accepts.

    `names` maps the keys of GEMINI_NAMES to the client's parameter names (missing keys: the Gemini name);
    a name of "" for `includeServerSideToolInvocations` says the client cannot set that flag.
    `search_param` names what added googleSearch when the client did not ask for it in its tools (a model
    suffix). Returns one note per value dropped; raises Refused (param = the client's name) otherwise.
    """
    generation = request.get("generationConfig")
    generation = generation if isinstance(generation, dict) else {}
    if "tools" not in request and "toolConfig" not in request and _RULED_GENERATION.isdisjoint(generation):
        return ()
    accepts = capabilities(model).accepts
    said = {**GEMINI_NAMES, **(names or {})}
    bare = model.removeprefix("models/")
    notes: list[str] = []
    if not accepts.penalties:
        for key in ("presencePenalty", "frequencyPenalty"):
            notes += _drop_penalty(generation, key, said[key], bare)
    if not accepts.logprobs:
        notes += _logprobs(generation, said, bare)
    count = generation.get("candidateCount")
    if not accepts.candidates and isinstance(count, int) and count > 1:
        name = said["candidateCount"]
        raise Refused(
            f"{name} {count}: {bare} gives one candidate per request (Google answers \"Multiple candidates is not "
            f"enabled for this model\"). Set {name} to 1 and repeat the request, or use a Gemini 2.5 model", name)
    tools = [t for t in request.get("tools") or () if isinstance(t, dict)]
    functions = any(t.get("functionDeclarations") for t in tools)
    builtin = next((k for t in tools for k in BUILTIN_TOOLS if k in t), None)
    tool_config = request.get("toolConfig") if isinstance(request.get("toolConfig"), dict) else {}
    calling = tool_config.get("functionCallingConfig")
    mode = calling.get("mode") if isinstance(calling, dict) else None
    json_out = generation.get("responseMimeType") == "application/json"
    suffix = builtin == "googleSearch" and search_param is not None
    builtin_name = search_param if suffix else said["builtin"]
    shown = f"{builtin}, asked by the {search_param} name's -search suffix" if suffix else f"{builtin} in {builtin_name}"
    if json_out and functions and mode != "NONE" and not accepts.json_with_functions:
        raise Refused(
            f"{said['responseMimeType']} (JSON output) cannot be combined with function tools "
            f"({said['functionDeclarations']}) on {bare}: Google "
            "answers \"Function calling with a response mime type: 'application/json' is unsupported\". Drop one of "
            f"them, set {said['modeNone']}, or use a Gemini 3 model", said["responseMimeType"])
    if builtin and json_out and not accepts.json_with_builtin:
        raise Refused(
            f"{said['responseMimeType']} (JSON output) cannot be combined with the built-in tool ({shown}) "
            f"on {bare}: Google answers \"Tool use with a response mime type: 'application/json' "
            "is unsupported\". Drop one of them, or use a Gemini 3 model", said["responseMimeType"])
    if builtin and functions:
        _builtin_with_functions(accepts.builtin_with_functions, tool_config, shown, builtin_name, said, bare)
    elif tool_config.get(_FLAG) is not None and accepts.builtin_with_functions == "no":
        del tool_config[_FLAG]  # no combination to enable, and the model would refuse the flag [tool+fn]
        notes.append(f"{said[_FLAG]} dropped (no built-in tool with function tools; {bare} does not take it)")
    return tuple(notes)


def _drop_penalty(generation: dict, key: str, name: str, model: str) -> list[str]:
    value = generation.get(key)
    if value is None:
        return []
    if value == 0 and not isinstance(value, bool):
        del generation[key]  # a penalty of 0 is no penalty
        return [f"{name} dropped (0 has no effect, and {model} takes no penalties)"]
    raise Refused(
        f"{name} is not supported by {model}: Google answers \"Penalty is not enabled for models/{model}\". "
        f"Omit {name} (or send 0), or use gemini-2.0-flash", name)


def _logprobs(generation: dict, said: Mapping[str, str], model: str) -> list[str]:
    name = said["responseLogprobs"]
    if generation.get("responseLogprobs"):
        raise Refused(
            f"{name}: {model} does not return log probabilities on the Gemini API (Google answers \"Logprobs is not "
            f"enabled for models/{model}\"). Omit {name}, or use gemini-2.0-flash", name)
    dropped = [k for k in ("responseLogprobs", "logprobs") if k in generation]
    for key in dropped:
        del generation[key]  # not asked for: no effect
    return [f"{' and '.join(dropped)} dropped (log probabilities not asked for; {model} has none)"] if dropped else []


def _builtin_with_functions(
    rule: str, tool_config: dict, shown: str, builtin_name: str, said: Mapping[str, str], model: str
) -> None:
    if rule == "yes" or (rule == "flag" and tool_config.get(_FLAG) is True):
        return
    if rule == "no":
        raise Refused(
            f"the built-in tool ({shown}) cannot be combined with function tools on {model}: Google "
            "answers \"Tool use with function calling is unsupported by the model.\" Drop one of them, or use a "
            "Gemini 3 model", builtin_name)
    how = (f"set {said[_FLAG]}: true" if said[_FLAG]
           else "this API cannot carry the server-side tool calls that needs; drop one of them")
    raise Refused(
        f"the built-in tool ({shown}) with function tools on {model} needs Google's tool-context "
        f"circulation (Google answers \"Please enable tool_config.include_server_side_tool_invocations\"): {how}",
        builtin_name)

"""Claude models served through Antigravity: a Gemini-shaped request made into one the Claude adapter behind
v1internal accepts, and its answers' function names given back (reference/antigravity.md §6).

Rules, each from the reference:
- Thinking blocks must be replayed with the Claude signature they were issued with; a missing, invented or
  Gemini signature (the skip sentinels included) is a 400 relayed from Vertex. All gateways drop thinking
  blocks without a usable signature rather than make one up, and never send the Gemini sentinel to Claude
  (§6.3). So: thought parts without a signature are dropped, and the sentinels are removed everywhere.
- The Claude adapter rejects empty text parts (§6.4, CLIProxyAPI ensureAntigravityGeminiLeadingUserContent).
- `toolConfig.functionCallingConfig.mode = "VALIDATED"` for Claude (§4.3: CLIProxyAPI, antigravity-claude-proxy),
  where every object schema needs at least one property: a placeholder `reason` string, required (§6.4,
  CLIProxyAPI addEmptySchemaPlaceholder).
- Function names `[a-zA-Z0-9_-]`, at most 64 characters (§6.4, antigravity-claude-proxy): dots are replaced,
  and the answers' names mapped back.
- functionCall / functionResponse carry the tool_use id (§6.4): history without ids gets them, each response
  taking the id of its call (calls first, responses in the same order, §6.3 "Ordering rule").
- Thinking uses the budget form, and maxOutputTokens must exceed the budget: it is raised to budget + 8192
  (antigravity-claude-proxy), within the model's output limit; when that is not enough the budget is cut to
  maxOutputTokens - 1 (CLIProxyAPI) (§6.1).
The request the pipeline holds is never changed (it may go to other accounts): parts are copied as changed.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable, Iterator

from ...gemini.names import ToolNameMap

SENTINELS = frozenset({"skip_thought_signature_validator", "context_engineering_is_the_way_to_go"})  # §6.3
PLACEHOLDER = "reason"  # CLIProxyAPI's placeholder property (§6.4)
OUTPUT_LIMIT = 64000  # Claude's max output through Antigravity (§5)
BUDGET_HEADROOM = 8192  # antigravity-claude-proxy raises maxOutputTokens to budget + 8192 (§6.1)


def is_claude(model: str) -> bool:
    """Whether Antigravity serves `model` from Claude (ids `claude-…`, §5)."""
    return model.lower().startswith("claude-")


def _kept_part(part: dict) -> dict | None:
    """The part as Claude takes it, or None to drop it (see the module docstring)."""
    signature = part.get("thoughtSignature")
    if signature in SENTINELS:
        part = {k: v for k, v in part.items() if k != "thoughtSignature"}
        signature = None
    if part.get("thought") and not signature:
        return None
    if "text" in part and not part["text"] and not part.get("thought"):
        return None  # the Claude adapter rejects empty text parts, signature carriers included
    return part


def _with_ids(contents: list[dict]) -> None:
    """Give functionCalls without an id one (stable for the same history), and each functionResponse
    without one the id of the earliest unanswered call of its name. Changes copies the caller made."""
    open_calls: list[tuple[str, str]] = []  # (name, id) of calls not yet answered, in order
    for turn, content in enumerate(contents):
        for index, part in enumerate(content["parts"]):
            if "functionCall" in part:
                call = part["functionCall"]
                if not call.get("id"):
                    seed = f"{turn}|{index}|{call.get('name')}".encode()
                    call["id"] = "toolu_" + hashlib.sha256(seed).hexdigest()[:24]
                open_calls.append((call.get("name"), call["id"]))
            elif "functionResponse" in part:
                answer = part["functionResponse"]
                match = next((c for c in open_calls if c[1] == answer.get("id")), None) or \
                    next((c for c in open_calls if not answer.get("id") and c[0] == answer.get("name")), None)
                if match is not None:
                    open_calls.remove(match)
                    answer["id"] = match[1]


def _objects(schema: object) -> Iterator[dict]:
    """Every schema object in a (Gemini or JSON) schema tree."""
    if isinstance(schema, dict):
        yield schema
        for value in schema.values():
            yield from _objects(value)
    elif isinstance(schema, list):
        for value in schema:
            yield from _objects(value)


def _with_placeholders(schema: object) -> object:
    """A copy of `schema` where every object schema without properties has the placeholder one."""
    out = copy.deepcopy(schema)
    for node in _objects(out):
        if str(node.get("type", "")).lower() == "object" and not node.get("properties"):
            node["properties"] = {PLACEHOLDER: {"type": "string", "description": "Brief explanation of the call"}}
            node["required"] = [*(node.get("required") or ()), PLACEHOLDER]
    return out


def _tools(request: dict, names: ToolNameMap) -> list | None:
    """The tools with Claude's names and schemas; None when there are no function declarations."""
    tools = request.get("tools")
    if not isinstance(tools, list) or not any(isinstance(t, dict) and t.get("functionDeclarations") for t in tools):
        return None
    out = []
    for tool in tools:
        if not isinstance(tool, dict) or not tool.get("functionDeclarations"):
            out.append(tool)
            continue
        declarations = []
        for decl in tool["functionDeclarations"]:
            decl = {**decl, "name": names.to_gemini(decl.get("name", ""))}
            for key in ("parameters", "parametersJsonSchema"):
                if key in decl:
                    decl[key] = _with_placeholders(decl[key])
            if "parameters" not in decl and "parametersJsonSchema" not in decl:
                decl["parameters"] = _with_placeholders({"type": "object"})
            declarations.append(decl)
        out.append({**tool, "functionDeclarations": declarations})
    return out


def _generation(config: object) -> object:
    """generationConfig with maxOutputTokens above the thinking budget (§6.1)."""
    if not isinstance(config, dict) or not isinstance(config.get("thinkingConfig"), dict):
        return config
    budget, most = config["thinkingConfig"].get("thinkingBudget"), config.get("maxOutputTokens")
    if not isinstance(budget, int) or budget <= 0 or not isinstance(most, int) or most > budget:
        return config
    out = {**config, "maxOutputTokens": min(budget + BUDGET_HEADROOM, OUTPUT_LIMIT)}
    if out["maxOutputTokens"] <= budget:
        out["thinkingConfig"] = {**config["thinkingConfig"], "thinkingBudget": out["maxOutputTokens"] - 1}
    return out


def adapt(request: dict) -> tuple[dict, Callable[[dict], dict]]:
    """(the request Claude accepts, a function giving an answer chunk the client's function names back)."""
    names = ToolNameMap(_declared(request), dots=False)
    contents = []
    for content in request.get("contents") or ():
        if not isinstance(content, dict):
            continue
        parts = []
        for part in content.get("parts") or ():
            kept = _kept_part(part) if isinstance(part, dict) else None
            if kept is None:
                continue
            kept = dict(kept)
            for key in ("functionCall", "functionResponse"):
                if isinstance(kept.get(key), dict):
                    kept[key] = {**kept[key], "name": names.to_gemini(kept[key].get("name", ""))}
            parts.append(kept)
        if parts:
            contents.append({**content, "parts": parts})
    _with_ids(contents)
    out = {**request, "contents": contents}
    tools = _tools(request, names)
    if tools is not None:
        out["tools"] = tools
        config = request.get("toolConfig") if isinstance(request.get("toolConfig"), dict) else {}
        calling = dict(config.get("functionCallingConfig") or {})
        if calling.get("mode") in (None, "AUTO", "MODE_UNSPECIFIED"):
            calling["mode"] = "VALIDATED"
        if calling.get("allowedFunctionNames"):
            calling["allowedFunctionNames"] = [names.to_gemini(n) for n in calling["allowedFunctionNames"]]
        out["toolConfig"] = {**config, "functionCallingConfig": calling}
    if "generationConfig" in request:
        out["generationConfig"] = _generation(request["generationConfig"])

    def restore(chunk: dict) -> dict:
        """The chunk with function calls named as the client declared them."""
        for candidate in chunk.get("candidates") or ():
            for part in (candidate.get("content") or {}).get("parts") or ():
                call = part.get("functionCall") if isinstance(part, dict) else None
                if isinstance(call, dict) and isinstance(call.get("name"), str):
                    call["name"] = names.to_client(call["name"])
        return chunk

    return out, restore


def _declared(request: dict) -> list[str]:
    return [d.get("name") for t in request.get("tools") or () if isinstance(t, dict)
            for d in t.get("functionDeclarations") or () if isinstance(d, dict) and isinstance(d.get("name"), str)]

"""OpenAI `tools` / `functions` and `tool_choice` / `function_call` -> Gemini `tools` and `toolConfig`.

Source: platform.openai.com/docs/api-reference/chat/create (tools, tool_choice with "none" / "auto" /
"required" / a named function / `allowed_tools`; the deprecated functions, function_call);
ai.google.dev/api/caching#FunctionCallingConfig (modes AUTO / ANY / NONE; `allowedFunctionNames` "should only
be set when the Mode is ANY").
"""

from __future__ import annotations

from ...config import Limits
from ...errors import bad_request
from ...gemini.names import ToolNameMap
from ..declarations import function_declaration, no_duplicates
from ..validate import at_most, expect, one_of

_MODES = {"auto": "AUTO", "none": "NONE", "required": "ANY"}


def chat_tools(
    body: dict, names: ToolNameMap, schemas: dict[str, dict], limits: Limits
) -> tuple[list | None, dict | None]:
    """(Gemini `tools`, `toolConfig`) for a Chat Completions body; None for either when there is nothing.

    `schemas` gets each declared tool's JSON Schema by its Gemini name (for restoring argument types).
    Raises GatewayError 400 naming the field: malformed declarations; `tools` with `functions`, or
    `tool_choice` with `function_call` (one would be ignored); a choice that forces or names a tool when none is
    declared (OpenAI: "'tool_choice' is only allowed when 'tools' are specified"); a named or allowed tool
    that is not declared; two tools of one name (Google refuses duplicate declarations, `param_ranges` [dup]).
    """
    for new, old in (("tools", "functions"), ("tool_choice", "function_call")):
        if body.get(new) is not None and body.get(old) is not None:
            raise bad_request(f"'{new}' and '{old}' cannot both be set; '{old}' is the deprecated form of '{new}'", old)
    legacy = body.get("tools") is None and body.get("functions") is not None  # the legacy spelling
    raw = expect(body.get("functions" if legacy else "tools") or [], list, "functions" if legacy else "tools")
    at_most(len(raw), limits.tools, "tools", "functions" if legacy else "tools", "tools")
    declarations = [_declaration(tool, i, legacy, names, schemas) for i, tool in enumerate(raw)]
    no_duplicates(declarations, names, lambda i: f"functions[{i}].name" if legacy else f"tools[{i}].function.name")
    legacy_choice = body.get("function_call") is not None
    where = "function_call" if legacy_choice else "tool_choice"
    return tool_config(body.get(where), where, declarations, names, legacy_choice)


def tool_config(
    choice: object, where: str, declarations: list[dict], names: ToolNameMap, legacy_choice: bool = False
) -> tuple[list | None, dict | None]:
    """(Gemini `tools`, `toolConfig`) for function `declarations` and a tool choice at request field `where`:
    "none" / "auto" / "required", a named function (`{"type": "function", "function": {"name"}}` in Chat
    Completions, `{"type": "function", "name"}` in the Responses API, `{"name"}` for the legacy
    function_call), or `allowed_tools` (nested in Chat, flat in Responses). Raises GatewayError 400 as
    `chat_tools` says."""
    if choice is None:
        return ([{"functionDeclarations": declarations}] if declarations else None), None
    if isinstance(choice, str):
        mode = _MODES[one_of(choice, tuple(_MODES), where)]
        if not declarations:
            if mode == "ANY":
                raise _no_tools(where, legacy_choice)
            return None, None  # Gemini rejects a calling config without declarations; here it means nothing
        return [{"functionDeclarations": declarations}], {"functionCallingConfig": {"mode": mode}}
    expect(choice, dict, where)
    if not declarations:
        raise _no_tools(where, legacy_choice)
    kind = None if legacy_choice else choice.get("type")
    if kind == "allowed_tools":
        return _allowed_tools(choice, names, declarations)
    if kind not in (None, "function"):
        shown = repr(kind)[:80]
        raise bad_request(f"tool_choice.type {shown} is not supported; use 'function' or 'allowed_tools'", "tool_choice.type")
    if legacy_choice:
        fn, at = choice, f"{where}.name"
    elif "function" in choice:
        fn, at = expect(choice["function"], dict, f"{where}.function"), f"{where}.function.name"
    else:
        fn, at = choice, f"{where}.name" if "name" in choice else f"{where}.function.name"
    name = _declared(expect(fn.get("name"), str, at), names, where)
    config = {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": [names.to_gemini(name)]}}
    return [{"functionDeclarations": declarations}], config


def _allowed_tools(choice: dict, names: ToolNameMap, declarations: list[dict]) -> tuple[list, dict]:
    """`{"type": "allowed_tools", "allowed_tools": {"mode": "auto" | "required", "tools": [...]}}`.

    "required": mode ANY limited to the allowed names. "auto": Gemini takes `allowedFunctionNames` only with
    mode ANY, so only the allowed tools are declared and the mode is AUTO (the model may also answer in text).
    """
    nested = "allowed_tools" in choice  # Chat nests the spec; the Responses API has it flat
    at = "tool_choice.allowed_tools" if nested else "tool_choice"
    spec = expect(choice.get("allowed_tools"), dict, at) if nested else choice
    mode = one_of(spec.get("mode"), ("auto", "required"), f"{at}.mode")
    tools = expect(spec.get("tools"), list, f"{at}.tools")
    if not tools:
        raise bad_request(f"'{at}.tools' must name at least one tool", f"{at}.tools")
    allowed = []
    for i, tool in enumerate(tools):
        q = f"{at}.tools[{i}]"
        expect(tool, dict, q)
        if tool.get("type", "function") != "function":
            raise bad_request(f"{q}.type {str(tool.get('type'))[:80]!r} is not supported; use 'function'", f"{q}.type")
        fn, fq = (expect(tool.get("function"), dict, f"{q}.function"), f"{q}.function") if nested else (tool, q)
        name = _declared(expect(fn.get("name"), str, f"{fq}.name"), names, f"{fq}.name")
        allowed.append(names.to_gemini(name))
    if mode == "required":
        config = {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": list(dict.fromkeys(allowed))}}
        return [{"functionDeclarations": declarations}], config
    kept = [d for d in declarations if d["name"] in allowed]
    return [{"functionDeclarations": kept}], {"functionCallingConfig": {"mode": "AUTO"}}


def _declared(name: str, names: ToolNameMap, where: str) -> str:
    if name not in names:
        raise bad_request(f"{where} names '{name[:200]}', which is not among the declared tools", where)
    return name


def _no_tools(where: str, legacy: bool):
    declared = "functions" if legacy else "tools"
    return bad_request(
        f"Invalid value for '{where}': '{where}' is only allowed when '{declared}' are specified", where
    )


def _declaration(tool: object, i: int, legacy: bool, names: ToolNameMap, schemas: dict[str, dict]) -> dict:
    """One Gemini functionDeclaration from `tools[i]` (or the legacy `functions[i]`)."""
    if legacy:
        at = f"functions[{i}]"
        fn = expect(tool, dict, at)
    else:
        expect(tool, dict, f"tools[{i}]")
        kind = tool.get("type", "function")
        if kind != "function":
            shown = repr(kind)[:80]
            raise bad_request(f"tools[{i}].type {shown} is not supported; use 'function'", f"tools[{i}].type")
        at = f"tools[{i}].function"
        fn = expect(tool.get("function"), dict, at)
    return function_declaration(fn.get("name"), fn.get("description"), fn.get("parameters"), at, f"{at}.parameters",
                                names, schemas)

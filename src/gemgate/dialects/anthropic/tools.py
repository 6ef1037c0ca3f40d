"""Anthropic `tools` and `tool_choice` -> Gemini `tools` and `toolConfig`.

Client tools are `{name, description, input_schema}` (`type` "custom" or absent; `input_schema: null` is taken
as no parameters, su-kaka/gcli2api issue #386 broke on it). Anthropic's server and versioned tools (web_search_*,
bash_*, text_editor_*, code_execution_*, computer_*, ...) run on Anthropic's side or have schemas only Claude
was trained on: `web_search_*` becomes Google Search grounding when no function tool is declared (a model
cannot take both on every family, gemini.request_rules), every other one is left out; both are said in
X-Gemgate-Adjusted. tool_choice per docs.anthropic.com/en/api/messages: auto / any / tool {name} / none, with
`disable_parallel_tool_use` (Gemini has no such switch; it has no effect).
"""

from __future__ import annotations

from ...config import Limits
from ...errors import bad_request
from ...gemini.names import ToolNameMap
from ..declarations import function_declaration, no_duplicates
from ..validate import at_most, expect, one_of

_MODES = {"auto": "AUTO", "any": "ANY", "tool": "ANY", "none": "NONE"}


def anthropic_tools(
    body: dict, names: ToolNameMap, schemas: dict[str, dict], limits: Limits, notes: list[str]
) -> tuple[list | None, dict | None]:
    """(Gemini `tools`, `toolConfig`), None for either when there is nothing. `schemas` gets each tool's JSON
    Schema by Gemini name; `notes` what was left out or mapped. Raises GatewayError 400 naming the field."""
    raw = expect(body.get("tools") or [], list, "tools")
    at_most(len(raw), limits.tools, "tools", "tools", "tools")
    declarations: list[dict] = []
    at_index: list[int] = []
    search = False
    for i, tool in enumerate(raw):
        expect(tool, dict, f"tools[{i}]")
        kind = tool.get("type")
        if kind not in (None, "custom"):
            kind = expect(kind, str, f"tools[{i}].type")
            if kind.startswith("web_search"):
                search = True
            else:
                notes.append(f"tools[{i}] ({kind[:60]}) left out: an Anthropic-defined tool Gemini has no "
                             "counterpart of")
            continue
        declarations.append(function_declaration(
            tool.get("name"), tool.get("description"), tool.get("input_schema"), f"tools[{i}]",
            f"tools[{i}].input_schema", names, schemas))
        at_index.append(i)
    no_duplicates(declarations, names, lambda k: f"tools[{at_index[k]}].name")
    gemini_tools = [{"functionDeclarations": declarations}] if declarations else []
    if search and declarations:
        notes.append("web_search left out (Google Search cannot be combined with function tools on every model)")
    elif search:
        gemini_tools.append({"googleSearch": {}})
        notes.append("web_search answered with Google Search grounding")
    return gemini_tools or None, _tool_config(body.get("tool_choice"), declarations, names)


def _tool_config(choice: object, declarations: list[dict], names: ToolNameMap) -> dict | None:
    if choice is None:
        return None
    choice = expect(choice, dict, "tool_choice")
    kind = one_of(choice.get("type"), tuple(_MODES), "tool_choice.type")
    if choice.get("disable_parallel_tool_use") is not None:
        expect(choice["disable_parallel_tool_use"], bool, "tool_choice.disable_parallel_tool_use")
    if not declarations:
        if kind in ("any", "tool"):
            raise bad_request(f"tool_choice.type {kind!r} needs at least one tool in 'tools'", "tool_choice")
        return None  # Gemini refuses a calling config without declarations; here it means nothing
    config: dict = {"mode": _MODES[kind]}
    if kind == "tool":
        name = expect(choice.get("name"), str, "tool_choice.name")
        if name not in names:
            raise bad_request(f"tool_choice.name '{name[:200]}' is not among the declared tools", "tool_choice.name")
        config["allowedFunctionNames"] = [names.to_gemini(name)]
    return {"functionCallingConfig": config}

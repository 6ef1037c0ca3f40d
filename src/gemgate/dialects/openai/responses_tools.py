"""Responses API `tools` and `tool_choice` -> Gemini `tools` and `toolConfig`.

Function tools are flat (`{"type": "function", "name", "description", "parameters", "strict"}`,
platform.openai.com/docs/api-reference/responses/create#responses-create-tools). Tools OpenAI runs itself are
accepted so that no client breaks (reference/client-harness.md §2 C7: Codex sends `web_search` and `namespace`):
`web_search` becomes Google Search grounding when nothing stops it, the functions of a `namespace` tool are
declared as "namespace.name" and called back with their namespace; the others are left out, each said in the
X-Gemgate-Adjusted header.
"""

from __future__ import annotations

from ...config import Limits
from ...gemini.names import ToolNameMap
from ..validate import at_most, expect
from ..declarations import function_declaration, no_duplicates
from .chat_tools import tool_config

WEB_SEARCH = frozenset({"web_search", "web_search_preview", "web_search_2025_08_26", "web_search_preview_2025_03_11"})
# A choice of a hosted tool ({"type": "web_search_preview"}, {"type": "mcp", ...}): the model chooses ("auto").
_CHOICE_TYPES = frozenset({"function", "allowed_tools"})


def qualified(namespace: object, name: object) -> object:
    """The client name a namespaced function goes by here ("namespace.name"; dots are valid in Gemini names)."""
    return f"{namespace}.{name}" if isinstance(namespace, str) and namespace and isinstance(name, str) else name


def declared_names(tools: object) -> list[str]:
    """The function names `tools` declares, namespaced ones qualified, to be claimed in the name map first."""
    found: list = []
    for tool in tools if isinstance(tools, list) else ():
        if not isinstance(tool, dict):
            continue
        if tool.get("type", "function") == "function":
            found.append(tool.get("name"))
        elif tool.get("type") == "namespace" and isinstance(tool.get("tools"), list):
            found += [qualified(tool.get("name"), t.get("name")) for t in tool["tools"]
                      if isinstance(t, dict) and t.get("type", "function") == "function"]
    return [n for n in found if isinstance(n, str)]


def responses_tools(
    body: dict, names: ToolNameMap, schemas: dict[str, dict], limits: Limits, notes: list[str],
    namespaced: dict[str, tuple[str, str]],
) -> tuple[list | None, dict | None]:
    """(Gemini `tools`, `toolConfig`) for a Responses body; `schemas` gets each function's JSON Schema by Gemini
    name, `notes` what was left out, `namespaced` the function tools of `namespace` tools (Codex's
    multi_agent_v1), declared as "namespace.name": qualified name -> (namespace, name). Raises GatewayError 400
    naming the field for malformed function tools, a tool choice naming an undeclared function, or one forcing a
    call with no function declared."""
    raw = expect(body.get("tools") or [], list, "tools")
    at_most(len(raw), limits.tools, "tools", "tools", "tools")
    declarations, at = [], []
    search = False
    for i, tool in enumerate(raw):
        expect(tool, dict, f"tools[{i}]")
        kind = expect(tool.get("type", "function"), str, f"tools[{i}].type")
        if kind == "function":
            declarations.append(function_declaration(tool.get("name"), tool.get("description"), tool.get("parameters"),
                                                     f"tools[{i}]", f"tools[{i}].parameters", names, schemas))
            at.append(f"tools[{i}].name")
        elif kind == "namespace" and isinstance(tool.get("name"), str) and isinstance(tool.get("tools"), list):
            for j, inner in enumerate(tool["tools"]):
                at_inner = f"tools[{i}].tools[{j}]"
                if not isinstance(inner, dict) or inner.get("type", "function") != "function":
                    notes.append(f"{at_inner} left out (only functions of a namespace are declared)")
                    continue
                full = qualified(tool["name"], expect(inner.get("name"), str, f"{at_inner}.name"))
                namespaced[full] = (tool["name"], inner["name"])
                declarations.append(function_declaration(full, inner.get("description"), inner.get("parameters"),
                                                         at_inner, f"{at_inner}.parameters", names, schemas))
                at.append(f"{at_inner}.name")
        elif kind in WEB_SEARCH:
            if tool.get("external_web_access") is False:
                notes.append(f"tools[{i}] {kind} left out (external_web_access is false; Google Search is live)")
            else:
                search = True
        else:
            notes.append(f"tools[{i}] of type {str(kind)[:40]} left out (a tool OpenAI runs; Gemini has no such tool)")
    no_duplicates(declarations, names, lambda i: at[i])
    choice = body.get("tool_choice")
    if isinstance(choice, dict) and expect(choice.get("type"), str, "tool_choice.type") not in _CHOICE_TYPES:
        notes.append(f"tool_choice of type {str(choice.get('type'))[:40]} taken as 'auto' (a tool OpenAI runs)")
        choice = "auto"
    tools, config = tool_config(choice, "tool_choice", declarations, names)
    if search and declarations:
        # Every Gemini family refuses Google Search beside function declarations, or needs server-side tool
        # circulation this API cannot carry (gemini.capabilities [tool+fn]): the functions are what clients need.
        notes.append("web_search left out (Gemini cannot combine Google Search with function tools here)")
    elif search:
        tools = (tools or []) + [{"googleSearch": {}}]
    return tools, config

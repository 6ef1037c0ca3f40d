"""Client tool declarations -> Gemini `functionDeclarations`, the same for every dialect: names mapped through
the request's `ToolNameMap`, JSON Schemas sanitised by `gemini.schema` and kept for restoring argument types,
duplicates refused as Google refuses them (`gemini.param_ranges` [dup])."""

from __future__ import annotations

from collections.abc import Callable

from ..errors import bad_request
from ..gemini.names import ToolNameMap
from ..gemini.param_ranges import duplicate_names
from ..gemini.schema import to_gemini_schema
from .validate import expect


def function_declaration(
    name: object, description: object, params: object, at: str, params_at: str, names: ToolNameMap,
    schemas: dict[str, dict],
) -> dict:
    """One Gemini functionDeclaration. `at` is the client's path of the tool (for `<at>.name`, `<at>.description`),
    `params_at` of its JSON Schema; None params: a function without parameters. `schemas` gets the client's
    schema by Gemini name. Raises GatewayError 400 naming the field for a wrong type or an empty name."""
    name = expect(name, str, f"{at}.name")
    if not name:
        raise bad_request(f"{at}.name must not be empty", f"{at}.name")
    decl: dict = {"name": names.to_gemini(name)}
    if description is not None:
        description = expect(description, str, f"{at}.description")
        if description:
            decl["description"] = description
    if params is not None:
        schemas[decl["name"]] = params
        schema = to_gemini_schema(expect(params, dict, params_at))
        if schema:
            decl["parameters"] = schema
    return decl


def no_duplicates(declarations: list[dict], names: ToolNameMap, where: Callable[[int], str]) -> None:
    """A 400 naming `where(i)` for the first declaration whose name an earlier one has: Google refuses
    duplicate function declarations ([dup])."""
    for i, _ in duplicate_names([d["name"] for d in declarations])[:1]:
        at = where(i)
        raise bad_request(f"'{at}' {names.to_client(declarations[i]['name'])!r} is declared twice; Gemini refuses "
                          "duplicate function declarations: give each tool its own name", at)

"""The bridge's gems (reference/gemini-web-protocol.md §6.5), batchexecute RPCs on the caller's account:

* `GET /api/gems` (`?hidden=true` adds the hidden predefined ones): `CNgdBe` twice in one batch, identifiers
  "system" (`[3|4, [lang], 0]`) and "custom" (`[2, [lang], 0]`); each answer's `payload[2]` lists gems
  `[id, [name, description], [prompt]]`.
* `POST /api/gems` `{name, description?, prompt}`: `oMH3Zd`, whose `payload[0]` is the new id.
* `PUT /api/gems/{id}` `{name, description?, prompt}`: `kHv0Vd`.
* `DELETE /api/gems/{id}`: `UXcSJb`.

A gem is used by a chat's `gem` field (inner[19]).
"""

from __future__ import annotations

from starlette.responses import Response

from ....http.body import json_response
from ..payload import field, text_at
from .access import KIND, Caller
from .envelope import BridgeError, ok

LIST, CREATE, UPDATE, DELETE = "CNgdBe", "oMH3Zd", "kHv0Vd", "UXcSJb"
CUSTOM, SYSTEM, SYSTEM_AND_HIDDEN = 2, 3, 4
LANGUAGE = "en"  # §6.5's payloads name the language; the list is the same gems in any


def _gem(row: object, predefined: bool) -> dict | None:
    gem_id = text_at(row, 0)
    if not gem_id:
        return None
    return {"id": gem_id, "name": text_at(row, 1, 0) or "", "description": text_at(row, 1, 1) or "",
            "prompt": text_at(row, 2, 0), "predefined": predefined}


def _record(fields: dict, tail: list) -> list:
    """`[name, desc, prompt, null×5, 0, null, 1, null×3, []]` + `tail` (§6.5)."""
    return [fields["name"], fields["description"], fields["prompt"], None, None, None, None, None, 0, None, 1,
            None, None, None, [], *tail]


async def _fields(caller: Caller) -> dict:
    body = await caller.body()
    if not isinstance(body, dict):
        raise BridgeError("INVALID_BODY", "The body must be {\"name\", \"description\"?, \"prompt\"}")
    unknown = sorted(set(body) - {"name", "description", "prompt"})
    if unknown:
        raise BridgeError("INVALID_BODY", f"Unknown field '{unknown[0]}'; known: description, name, prompt")
    for name in ("name", "prompt"):
        if not isinstance(body.get(name), str) or not body[name].strip():
            raise BridgeError("INVALID_BODY", f"'{name}' must be a non-empty string")
    if not isinstance(body.get("description", ""), str):
        raise BridgeError("INVALID_BODY", "'description' must be a string")
    return {"name": body["name"], "description": body.get("description", ""), "prompt": body["prompt"]}


def _gem_id(caller: Caller) -> str:
    gem_id = caller.request.path_params["gem"]
    if not gem_id.replace("-", "").isalnum():
        raise BridgeError("INVALID_BODY", "a gem id is letters, digits and '-'")
    return gem_id


async def list_gems(caller: Caller) -> Response:
    """`data.gems`: `[{"id", "name", "description", "prompt", "predefined"}]`, predefined first."""
    hidden = caller.request.query_params.get("hidden", "false")
    if hidden not in ("true", "false"):
        raise BridgeError("INVALID_BODY", "'hidden' is true or false")
    record = await caller.account()
    system = SYSTEM_AND_HIDDEN if hidden == "true" else SYSTEM
    answers = await caller.gateway.upstreams[KIND].rpcs(record, [
        (LIST, [system, [LANGUAGE], 0], "system"), (LIST, [CUSTOM, [LANGUAGE], 0], "custom")])
    gems = [g for ident in ("system", "custom") for row in field(answers[ident], 2) or ()
            if (g := _gem(row, ident == "system")) is not None]
    return json_response(ok({"gems": gems}, caller.rid))


async def create_gem(caller: Caller) -> Response:
    """`data`: the new gem `{"id", "name", "description", "prompt", "predefined": false}`."""
    fields = await _fields(caller)
    record = await caller.account()
    payload = await caller.gateway.upstreams[KIND].rpc(record, CREATE, [_record(fields, [])])
    gem_id = text_at(payload, 0)
    if not gem_id:
        raise BridgeError("API_ERROR", "The web app created the gem but sent no id")
    return json_response(ok({"id": gem_id, **fields, "predefined": False}, caller.rid))


async def update_gem(caller: Caller) -> Response:
    """`data`: the gem as it now is."""
    gem_id = _gem_id(caller)
    fields = await _fields(caller)
    record = await caller.account()
    await caller.gateway.upstreams[KIND].rpc(record, UPDATE, [gem_id, _record(fields, [0])])
    return json_response(ok({"id": gem_id, **fields, "predefined": False}, caller.rid))


async def delete_gem(caller: Caller) -> Response:
    """`data`: `{"id", "deleted": true}`."""
    gem_id = _gem_id(caller)
    record = await caller.account()
    await caller.gateway.upstreams[KIND].rpc(record, DELETE, [gem_id])
    return json_response(ok({"id": gem_id, "deleted": True}, caller.rid))

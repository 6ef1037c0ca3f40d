"""Stored responses: kept in the gateway's store (`ttl_values`, namespace "resp", for `kept_ttl_seconds`) so that
`previous_response_id`, `item_reference`, `GET /v1/responses/{id}` (and `/input_items`) and `DELETE` work on any
instance sharing the store and after a restart.

Each record holds one response only, linked to the response it continued (`previous`), so a chain of n turns
keeps n records of their own size, not n copies of a growing conversation:

  response  the response object as answered (also a `failed` one a client saw the id of, and `incomplete` ones)
  input     this request's input items, each with an id (`input_items`, `item_reference`)
  contents  this request's own Gemini contents (media inlined, signatures filled) and the model's turn
  system    the system parts of this request's input messages (OpenAI does not carry `instructions` over:
            platform.openai.com/docs/api-reference/responses/create#responses-create-instructions)
  calls     call_id -> tool name of the response's function calls (a function_call_output answers them)
  previous  the id of the response it continued, or None

Each item id also has a small record ("item/<id>" -> the response holding it) for `item_reference`.
Continuing walks the chain back to its start, at most `Limits.messages` links: a longer chain would be a
history longer than one request may send as items, and the bound keeps one request's store reads bounded. A
missing link (expired, deleted) is OpenAI's `previous_response_not_found` naming that link's id.
"""

from __future__ import annotations

import time

import orjson

from ... import background as runs
from ...errors import GatewayError, bad_request
from ...gemini.names import ToolNameMap
from ..base import Generation, Local, LocalState, ParseInput, RenderContext
from .responses_input import unknown_call
from .responses_tools import qualified

NAMESPACE = "resp"
_ITEM = "item/"
_BEAT = "beat/"  # a background run's heartbeat: {"at": epoch seconds}
RUNNING = ("queued", "in_progress")
LOST = ("The gateway instance running this background response stopped before it finished; "
        "create the response again")


async def keep_response(ctx: RenderContext, response: dict, echo, turn: dict | None, beat: bool = False) -> None:
    """Store `response` with what this request added to the conversation (`echo.own` contents and input items,
    `echo.system`) plus the model's `turn`, linked to `echo.previous`; with a heartbeat when `beat`."""
    contents = list(echo.own)
    if turn and turn.get("parts"):
        contents.append({"role": "model", "parts": turn["parts"]})
    calls = {i["call_id"]: qualified(i.get("namespace"), i["name"]) for i in response["output"] if i["type"] == "function_call"}
    record = {"response": response, "input": echo.items, "contents": contents, "system": echo.system,
              "calls": calls, "previous": echo.previous}
    index = {_ITEM + item["id"]: {"response": response["id"]} for item in echo.items + response["output"] if item.get("id")}
    if beat:
        index[_BEAT + response["id"]] = {"at": time.time()}
    await ctx.kept(NAMESPACE).put_many({response["id"]: record, **index})


async def heartbeat(ctx: RenderContext, rid: str) -> dict | None:
    """Renew the heartbeat of background response `rid`; its record (None when gone)."""
    kept = ctx.kept(NAMESPACE)
    record = await kept.get(rid)
    if record is not None and record["response"].get("status") in RUNNING:
        await kept.put(_BEAT + rid, {"at": time.time()})
    return record


async def current(ctx: RenderContext, rid: str) -> dict | None:
    """The record of `rid` (None: not kept); a queued or in-progress one whose heartbeat stopped (its instance
    stopped: `gemgate.background`) is settled as failed first, and kept so."""
    if "/" in rid:  # an id given in a body naming an index or heartbeat record (`_ITEM`, `_BEAT`): no response
        return None
    kept = ctx.kept(NAMESPACE)
    record = await kept.get(rid)
    if record is None or record["response"].get("status") not in RUNNING:
        return record
    beat = await kept.get(_BEAT + rid)
    if beat is None or time.time() - float(beat.get("at") or 0) > runs.BEAT_SECONDS * runs.STALE_BEATS:
        record["response"] = {**record["response"], "status": "failed",
                              "error": {"code": "server_error", "message": LOST}}
        await kept.put(rid, record)
    return record


def previous_not_found(rid: str) -> GatewayError:
    """OpenAI's 400 for a previous_response_id (or a link of its chain) that is not kept (any more)."""
    return GatewayError(400, f"Previous response with id '{rid[:200]}' not found.", param="previous_response_id",
                        code="previous_response_not_found")


async def chain(ctx: RenderContext, previous_id: str, bound: int) -> list[dict]:
    """The records from the start of the conversation to `previous_id`, oldest first. Raises GatewayError 400
    when a link is missing, the chain is longer than `bound`, or `previous_id` is still running (background)."""
    kept = ctx.kept(NAMESPACE)
    records: list[dict] = []
    rid: str | None = previous_id
    while rid is not None:
        if len(records) >= bound:
            raise bad_request(f"the chain of previous responses is longer than {bound} (the 'messages' limit); "
                              "send the history as input items instead", "previous_response_id")
        record = await current(ctx, rid)
        if record is None:
            raise previous_not_found(rid)
        if not records and record["response"].get("conversation"):
            raise bad_request(f"Response '{rid[:200]}' belongs to a conversation; continue it with 'conversation' "
                              "instead of previous_response_id", "previous_response_id")
        if not records and record["response"].get("status") in RUNNING:
            raise bad_request(f"Previous response with id '{rid[:200]}' is still {record['response']['status']}; "
                              "wait until it is done (GET /v1/responses/{id}) or cancel it", "previous_response_id")
        records.append(record)
        rid = record.get("previous")
    records.reverse()
    return records


def continue_from(previous_id: str, work: Generation, system: list, pending: list, names: ToolNameMap, bound: int):
    """A `Generation.resolve` putting the stored conversation of `previous_id` (its whole chain) before this
    request's contents (and its input system parts before this request's), and naming the `pending` function
    responses after the calls of the previous response they answer. Raises GatewayError 400 (OpenAI's wording
    and code) as `chain` does, or when a function_call_output answers none of its calls."""

    async def resolve(ctx: RenderContext) -> None:
        """Load the stored chain and prepend it."""
        records = await chain(ctx, previous_id, bound)
        calls = records[-1].get("calls") or {}
        for part, call_id, param in pending:
            if call_id not in calls:
                raise unknown_call(call_id, param)
            part["functionResponse"]["name"] = names.to_gemini(calls[call_id])
        earlier = [c for r in records for c in r.get("contents") or ()]
        work.request["contents"] = earlier + list(work.request.get("contents") or [])
        kept = [p for r in records for p in r.get("system") or ()]
        if kept:
            instruction = work.request.setdefault("systemInstruction", {"parts": []})
            at = len(instruction["parts"]) - len(system)  # after `instructions`, before this input's own
            instruction["parts"][at:at] = kept

    return resolve


async def referenced_items(ctx: RenderContext, ids: list[tuple[str, str]], most_bytes: int) -> dict[str, dict]:
    """The stored items of this client's responses with these ids ((id, request field) pairs): id -> item, in
    two reads of the store. A reference stands for sending its item, so together they may come to at most
    `most_bytes` (limits.body_bytes; each reference counts its item's JSON once): else one stored item named
    10,000 times would reach Gemini, memory and the store 10,000 times over. Raises GatewayError 400 naming the
    first id no kept response of this client holds, or `input` when the items pass `most_bytes`."""
    kept = ctx.kept(NAMESPACE)
    wanted = list(dict.fromkeys(item_id for item_id, _ in ids))
    where = await kept.get_many([_ITEM + item_id for item_id in wanted])
    holders = list(dict.fromkeys(w["response"] for w in where.values()))
    records = await kept.get_many(holders) if holders else {}
    found: dict[str, dict] = {}
    sizes: dict[str, int] = {}
    for item_id, param in ids:
        if item_id not in found:
            record = records.get((where.get(_ITEM + item_id) or {}).get("response", ""))
            items = ((record.get("input") or []) + record["response"]["output"]) if record else []
            item = next((i for i in items if i.get("id") == item_id), None)
            if item is None:
                raise bad_request(f"Item with id '{item_id[:200]}' not found.", param)
            found[item_id], sizes[item_id] = item, len(orjson.dumps(item))
    total = sum(sizes[item_id] for item_id, _ in ids)
    if total > most_bytes:
        raise bad_request(f"The items 'input' references come to {total} bytes, more than this gateway's limit of "
                          f"{most_bytes} bytes for a request (limits.body_bytes); reference fewer", "input")
    return found


def _response_id(inp: ParseInput) -> str:
    rid = inp.path_params.get("response_id", "")
    if not rid:
        raise bad_request("the path must name a response id", "response_id")
    return rid


def not_found(rid: str) -> GatewayError:
    """OpenAI's 404 for a response id not kept for this client."""
    return GatewayError(404, f"Response with id '{rid[:200]}' not found.", param="response_id", code="not_found")


def parse_get(inp: ParseInput) -> Local:
    """`GET /v1/responses/{response_id}`: the stored response object, or 404."""
    rid = _response_id(inp)

    async def run(state: LocalState) -> dict:
        """The stored response."""
        record = await current(state.ctx, rid)
        if record is None:
            raise not_found(rid)
        return record["response"]

    return Local(run, "get")


def parse_cancel(inp: ParseInput) -> Local:
    """`POST /v1/responses/{response_id}/cancel`: a background response still queued or in progress is cancelled
    (its task stopped here, or by its own instance at its next heartbeat) and returned with status `cancelled`;
    cancelling a cancelled one returns it again (platform.openai.com/docs/api-reference/responses/cancel).
    Raises GatewayError 404 for an unknown id, 400 for a response not made in the background or already done."""
    rid = _response_id(inp)

    async def run(state: LocalState) -> dict:
        """Cancel the run and keep it cancelled."""
        async with state.ctx.kept(NAMESPACE).locked(rid):  # the run's heartbeat and end wait (or went first)
            return await _cancelled(state.ctx, rid)

    return Local(run, "cancel")


async def _cancelled(ctx: RenderContext, rid: str) -> dict:
    """The response `rid` cancelled (see `parse_cancel`)."""
    record = await current(ctx, rid)
    if record is None:
        raise not_found(rid)
    response = record["response"]
    if not response.get("background"):
        raise bad_request("Only responses created with background=true can be cancelled.", "response_id")
    status = response.get("status")
    if status == "cancelled":
        return response
    if status not in RUNNING:
        raise bad_request(f"Cannot cancel a response with status '{status}'.", "response_id")
    ctx.runs.cancel(ctx.owner, rid)  # here: stopped now; elsewhere: at its next heartbeat
    record["response"] = response = {**response, "status": "cancelled"}
    await ctx.kept(NAMESPACE).put(rid, record)  # the run's own end then leaves it so (`_keepable`)
    return response


def parse_delete(inp: ParseInput) -> Local:
    """`DELETE /v1/responses/{response_id}`: `{"id", "object": "response.deleted", "deleted": true}`, or 404
    (platform.openai.com/docs/api-reference/responses/delete). Its item ids go with it."""
    rid = _response_id(inp)

    async def run(state: LocalState) -> dict:
        """Forget the stored response and its item index."""
        kept = state.ctx.kept(NAMESPACE)
        async with kept.locked(rid):  # a run's end waits, then finds it gone (`_keepable`)
            record = await kept.get(rid)
            if record is None or not await kept.delete(rid):
                raise not_found(rid)
        state.ctx.runs.cancel(state.ctx.owner, rid)
        for key in [_ITEM + i["id"] for i in record.get("input", []) + record["response"].get("output", []) if i.get("id")]:
            await kept.delete(key)
        await kept.delete(_BEAT + rid)
        return {"id": rid, "object": "response.deleted", "deleted": True}

    return Local(run, "delete")

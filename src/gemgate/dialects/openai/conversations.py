"""A minimal OpenAI Conversations API (platform.openai.com/docs/api-reference/conversations): create, retrieve,
delete, list and add items, and `conversation` on `POST /v1/responses` (the conversation's items come before the
input; the input and output items are added to it once the response is done).

Kept like stored responses (`Kept`, namespace "conv", the caller's own, for `kept_ttl_seconds` from the last
write): a head record `{"conversation": object, "segments": [keys]}` and one segment record per addition
holding its items, so adding to a long conversation writes only what it adds (and the head's list of keys).
Additions on one instance go in turn (`Kept.locked`); two on different instances sharing a store may still lose
one's segment from the head (the last head written wins).
"""

from __future__ import annotations

import time

from ...config import Limits
from ...errors import GatewayError, bad_request
from ...gemini.names import ToolNameMap
from ..base import Local, LocalState, ParseInput, RenderContext
from ..parts import new_id
from ..validate import at_most, expect, no_unknown
from .responses_input import input_names, responses_input, unknown_call
from .responses_items import page_query, paged, with_ids

NAMESPACE = "conv"
MAX_ADDED = 20  # items per create or add request (OpenAI's limit for both)


def not_found(cid: str) -> GatewayError:
    """OpenAI's 404 for a conversation id not kept for this client."""
    return GatewayError(404, f"Conversation with id '{cid[:200]}' not found.", param="conversation_id",
                        code="not_found")


def conversation_id(value: object, param: str = "conversation") -> str:
    """The id in a response request's `conversation` (a string, or `{"id": ...}`). Raises GatewayError 400 for
    another type or an empty id (else the response would be answered without the conversation)."""
    if isinstance(value, dict):
        param += ".id"
        value = value.get("id")
    if not expect(value, str, param):
        raise bad_request(f"'{param}' must be a conversation id (conv_...), got an empty string", param)
    return value


async def conversation_items(ctx: RenderContext, cid: str) -> list[dict]:
    """All items of conversation `cid`, oldest first. Raises GatewayError 400 (param `conversation`) when it
    is not kept for this client."""
    head = await ctx.kept(NAMESPACE).get(cid)
    if head is None:
        raise GatewayError(400, f"Conversation with id '{cid[:200]}' not found.", param="conversation")
    return await _items(ctx, head)


async def _items(ctx: RenderContext, head: dict) -> list[dict]:
    segments = await ctx.kept(NAMESPACE).get_many(head["segments"])
    return [item for key in head["segments"] for item in (segments.get(key) or {}).get("items", [])]


async def add_items(ctx: RenderContext, cid: str, items: list[dict], field: str | None = None) -> bool:
    """Add `items` (with ids) to conversation `cid` as one segment; whether it is (still) kept. With `field`
    (items a client gave, not yet checked against the conversation), raises GatewayError 400 naming
    `<field>[i].call_id` for a function_call_output answering no call of the conversation or of `items`."""
    kept = ctx.kept(NAMESPACE)
    async with kept.locked(cid):  # the head is rewritten from what was read: additions here go in turn
        head = await kept.get(cid)
        if head is None:
            return False
        if field is not None:
            _outputs_answer(await _items(ctx, head), items, field)
        key = f"{cid}/{new_id('seg_')}"
        head["segments"].append(key)
        await kept.put_many({key: {"items": items}, cid: head})
    return True


def _outputs_answer(history: list[dict], items: list[dict], field: str) -> None:
    """Raise OpenAI's 400 for the first function_call_output of `items` whose call is in neither list."""
    calls = {i.get("call_id") for i in history + items if i.get("type") == "function_call"}
    for i, item in enumerate(items):
        if item.get("type") == "function_call_output" and item.get("call_id") not in calls:
            raise unknown_call(item["call_id"], f"{field}[{i}].call_id")


def _added(body: object, field: str, required: bool, limits: Limits) -> list[dict]:
    """The items of a create (`items`, optional) or add (`items`, required) body, with ids. Each must be an item a
    response could send (checked as `input` is, a call's output possibly in an earlier addition, a call's in a
    later one): kept, a bad one would make every later response of the conversation a 400. Raises GatewayError
    400 naming the item's field."""
    raw = body.get(field) if isinstance(body, dict) else None
    if raw is None:
        if required:
            raise bad_request(f"'{field}' is required: a list of items", field)
        return []
    items = expect(raw, list, field)
    at_most(len(items), MAX_ADDED, "items", field, "items")
    for i, item in enumerate(items):
        expect(item, dict, f"{field}[{i}]")
        if item.get("type") == "item_reference":
            raise bad_request(f"{field}[{i}]: send the item itself, not a reference", f"{field}[{i}].type")
    # outputs may answer calls of earlier additions (checked by `add_items`); a new conversation has none
    responses_input(items, ToolNameMap(input_names(items)), limits, previous=required, field=field, open_calls=True)
    return with_ids(items)


def parse_create(inp: ParseInput) -> Local:
    """`POST /v1/conversations` `{items?, metadata?}` -> the conversation object
    `{id, object: "conversation", created_at, metadata}`."""
    body = expect(inp.body if inp.body is not None else {}, dict, "body")
    no_unknown(body, frozenset({"items", "metadata"}), "")
    metadata = {} if body.get("metadata") is None else expect(body["metadata"], dict, "metadata")
    items = _added(body, "items", required=False, limits=inp.limits)

    async def run(state: LocalState) -> dict:
        """Keep the new conversation and its first items."""
        cid = new_id("conv_")
        conversation = {"id": cid, "object": "conversation", "created_at": int(time.time()), "metadata": metadata}
        key = f"{cid}/{new_id('seg_')}"
        await state.ctx.kept(NAMESPACE).put_many({cid: {"conversation": conversation, "segments": [key]},
                                                  key: {"items": items}})
        return conversation

    return Local(run, "conversation")


def _cid(inp: ParseInput) -> str:
    return inp.path_params.get("conversation_id", "")


def parse_retrieve(inp: ParseInput) -> Local:
    """`GET /v1/conversations/{id}`: the conversation object, or 404."""
    cid = _cid(inp)

    async def run(state: LocalState) -> dict:
        """The kept conversation object."""
        head = await state.ctx.kept(NAMESPACE).get(cid)
        if head is None:
            raise not_found(cid)
        return head["conversation"]

    return Local(run, "conversation")


def parse_delete(inp: ParseInput) -> Local:
    """`DELETE /v1/conversations/{id}`: `{id, object: "conversation.deleted", deleted: true}`, or 404."""
    cid = _cid(inp)

    async def run(state: LocalState) -> dict:
        """Forget the conversation and its items."""
        kept = state.ctx.kept(NAMESPACE)
        async with kept.locked(cid):  # not between an addition's read and its write (which would revive it)
            head = await kept.get(cid)
            if head is None:
                raise not_found(cid)
            for key in [cid, *head["segments"]]:
                await kept.delete(key)
        return {"id": cid, "object": "conversation.deleted", "deleted": True}

    return Local(run, "conversation")


def parse_list_items(inp: ParseInput) -> Local:
    """`GET /v1/conversations/{id}/items?order=&after=&limit=`: its items in OpenAI's list shape, or 404."""
    cid = _cid(inp)
    query = page_query(inp)

    async def run(state: LocalState) -> dict:
        """A page of the conversation's items."""
        head = await state.ctx.kept(NAMESPACE).get(cid)
        if head is None:
            raise not_found(cid)
        return paged(await _items(state.ctx, head), query, f"conversation '{cid[:200]}'")

    return Local(run, "conversation")


def parse_add_items(inp: ParseInput) -> Local:
    """`POST /v1/conversations/{id}/items` `{items}`: the added items (with their ids) as a list, or 404."""
    cid = _cid(inp)
    body = expect(inp.body, dict, "body")
    no_unknown(body, frozenset({"items"}), "")
    items = _added(body, "items", required=True, limits=inp.limits)

    async def run(state: LocalState) -> dict:
        """Add the items."""
        if not await add_items(state.ctx, cid, items, "items"):
            raise not_found(cid)
        return {"object": "list", "data": items, "first_id": items[0]["id"] if items else None,
                "last_id": items[-1]["id"] if items else None, "has_more": False}

    return Local(run, "conversation")

"""Input items as a stored response keeps them, `item_reference` items, and the input item list
(`GET /v1/responses/{id}/input_items`, platform.openai.com/docs/api-reference/responses/input-items).

OpenAI gives every input item an id (a string input is one user message) and lists them in its list shape
(`object: "list"`, `data`, `first_id`, `last_id`, `has_more`), newest first unless `order=asc`, `limit` 1-100
(default 20), `after` an item id. An `item_reference` (`{"type": "item_reference", "id": ...}`) stands for an
item of an earlier response of the same client (platform.openai.com/docs/api-reference/responses/create
#responses-create-input, "Item reference").
"""

from __future__ import annotations

from ...errors import bad_request
from ..base import Local, LocalState, ParseInput
from ..parts import new_id
from ..validate import expect, integer, one_of
from .responses_store import NAMESPACE, not_found

# The id prefix OpenAI gives each kind of item.
_PREFIX = {"message": "msg_", "function_call": "fc_", "function_call_output": "fco_", "reasoning": "rs_"}


def item_references(value: object) -> list[tuple[int, str]]:
    """(index, id) of each `item_reference` in `input`. Raises GatewayError 400 for one without a string id."""
    if not isinstance(value, list):
        return []
    refs = []
    for i, item in enumerate(value):
        if isinstance(item, dict) and item.get("type") == "item_reference":
            refs.append((i, expect(item.get("id"), str, f"input[{i}].id")))
    return refs


def with_ids(value: object) -> list[dict]:
    """The input items (already validated) as kept: copies, each with an id (its own, else a new one of its
    kind), a message's string content as one input_text (output_text for the assistant) part."""
    if isinstance(value, str):
        value = [{"type": "message", "role": "user", "content": value}]
    items = []
    for item in value if isinstance(value, list) else ():
        kept = dict(item)
        kind = kept.setdefault("type", "message")
        if kind == "message" and isinstance(kept.get("content"), str):
            text = "output_text" if kept.get("role") == "assistant" else "input_text"
            kept["content"] = [{"type": text, "text": kept["content"]}]
        if not isinstance(kept.get("id"), str) or not kept["id"]:
            kept["id"] = new_id(_PREFIX.get(kind, "item_"))
        items.append(kept)
    return items


def page_query(inp: ParseInput) -> tuple[str, str | None, int]:
    """(order, after, limit) of a list request's query: order asc/desc (default desc), limit 1-100 (default
    20). Raises GatewayError 400 naming the bad one."""
    query = inp.query
    order = one_of(query.get("order", "desc"), ("asc", "desc"), "order")
    limit = integer(_number(query.get("limit", "20"), "limit"), "limit", 1, 100)
    return order, query.get("after"), limit


def paged(items: list[dict], query: tuple[str, str | None, int], where: str) -> dict:
    """One page of `items` (oldest first) in OpenAI's list shape for `page_query`'s (order, after, limit).
    Raises GatewayError 400 when `after` names no item of `where`."""
    order, after, limit = query
    items = list(reversed(items)) if order == "desc" else list(items)
    if after is not None:
        at = next((i for i, item in enumerate(items) if item.get("id") == after), None)
        if at is None:
            raise bad_request(f"No item with id '{after[:200]}' in {where}.", "after")
        items = items[at + 1:]
    page = items[:limit]
    return {"object": "list", "data": page, "first_id": page[0]["id"] if page else None,
            "last_id": page[-1]["id"] if page else None, "has_more": len(items) > limit}


def parse_input_items(inp: ParseInput) -> Local:
    """`GET /v1/responses/{response_id}/input_items?order=&after=&limit=`: the stored response's input items in
    OpenAI's list shape, or 404. Raises GatewayError 400 for a bad `order`, `limit` or an `after` not listed."""
    rid = inp.path_params.get("response_id", "")
    query = page_query(inp)

    async def run(state: LocalState) -> dict:
        """The page of items."""
        record = await state.ctx.kept(NAMESPACE).get(rid)
        if record is None:
            raise not_found(rid)
        return paged(record.get("input") or [], query, f"response '{rid[:200]}'")

    return Local(run, "input_items")


def _number(value: str, param: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise bad_request(f"'{param}' must be an integer", param) from None

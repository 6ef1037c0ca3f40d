"""Stored responses: kept in the gateway's store (`ttl_values`, namespace "resp", for `kept_ttl_seconds`) so that
`previous_response_id`, `GET /v1/responses/{id}` and `DELETE` work on any instance sharing the store and after
a restart.

Each record holds the response object as answered and the conversation as Gemini saw it: the contents sent
(media inlined, signatures filled, previous turns included), the model's turn with its thought signatures, and
the system parts of input messages. OpenAI does not carry `instructions` over to the next response
(platform.openai.com/docs/api-reference/responses/create#responses-create-instructions), so they are not kept.
"""

from __future__ import annotations

from ...errors import GatewayError, bad_request
from ...gemini.names import ToolNameMap
from ..base import Generation, Local, LocalState, ParseInput, RenderContext
from .responses_input import unknown_call
from .responses_tools import qualified

NAMESPACE = "resp"


async def keep_response(ctx: RenderContext, response: dict, request: dict, system: list, turn: dict | None) -> None:
    """Store `response` with the conversation that led to it (`request["contents"]`) plus the model's `turn`."""
    contents = list(request.get("contents") or [])
    if turn and turn.get("parts"):
        contents.append({"role": "model", "parts": turn["parts"]})
    calls = {i["call_id"]: qualified(i.get("namespace"), i["name"]) for i in response["output"] if i["type"] == "function_call"}
    record = {"response": response, "contents": contents, "system": system, "calls": calls}
    await ctx.kept(NAMESPACE).put(response["id"], record)


def continue_from(previous_id: str, work: Generation, system: list, pending: list, names: ToolNameMap):
    """A `Generation.resolve` putting the stored conversation of `previous_id` before this request's contents
    (and its input system parts before this request's), and naming the `pending` function responses after the
    calls they answer. Raises GatewayError 400 (OpenAI's wording and code) when the response is unknown or
    expired, or a function_call_output answers none of its calls."""

    async def resolve(ctx: RenderContext) -> None:
        """Load the stored conversation and prepend it."""
        record = await ctx.kept(NAMESPACE).get(previous_id)
        if record is None:
            raise GatewayError(400, f"Previous response with id '{previous_id[:200]}' not found.",
                               param="previous_response_id", code="previous_response_not_found")
        calls = record.get("calls") or {}
        for part, call_id, param in pending:
            if call_id not in calls:
                raise unknown_call(call_id, param)
            part["functionResponse"]["name"] = names.to_gemini(calls[call_id])
        work.request["contents"] = list(record.get("contents") or []) + list(work.request.get("contents") or [])
        kept = list(record.get("system") or [])
        if kept:
            instruction = work.request.setdefault("systemInstruction", {"parts": []})
            at = len(instruction["parts"]) - len(system)  # after `instructions`, before this input's own
            instruction["parts"][at:at] = kept
            system[:0] = kept  # kept again with this response

    return resolve


def _response_id(inp: ParseInput) -> str:
    rid = inp.path_params.get("response_id", "")
    if not rid:
        raise bad_request("the path must name a response id", "response_id")
    return rid


def _not_found(rid: str) -> GatewayError:
    return GatewayError(404, f"Response with id '{rid[:200]}' not found.", param="response_id", code="not_found")


def parse_get(inp: ParseInput) -> Local:
    """`GET /v1/responses/{response_id}`: the stored response object, or 404."""
    rid = _response_id(inp)

    async def run(state: LocalState) -> dict:
        """The stored response."""
        record = await state.ctx.kept(NAMESPACE).get(rid)
        if record is None:
            raise _not_found(rid)
        return record["response"]

    return Local(run, "get")


def parse_delete(inp: ParseInput) -> Local:
    """`DELETE /v1/responses/{response_id}`: `{"id", "object": "response.deleted", "deleted": true}`, or 404
    (platform.openai.com/docs/api-reference/responses/delete)."""
    rid = _response_id(inp)

    async def run(state: LocalState) -> dict:
        """Forget the stored response."""
        if not await state.ctx.kept(NAMESPACE).delete(rid):
            raise _not_found(rid)
        return {"id": rid, "object": "response.deleted", "deleted": True}

    return Local(run, "delete")

"""One StreamGenerate turn of the web kind: what it sends (`Turn`), whether a failure means the conversation
was not continued, what reads its answer (tool calls, JSON mode) and what a bridge caller learns from it."""

from __future__ import annotations

from ...errors import Cause, Failure, UpstreamError
from . import generation, prompt, tools
from .answer import Reshaped
from .asked import Asked
from .conversations import Thread
from .errors import ModelInconsistent
from .research import plan_of
from .snapshots import Snapshots

class Turn:
    """What one StreamGenerate sends: the message (`prompt.last_turn_prompt` when continuing `thread`, else
    `prompt.build_prompt`) and its attachment tuples; `owner`, the client whose conversation it is."""

    def __init__(self, request: dict, thread: Thread | None, owner: str = "") -> None:
        self.request, self.thread, self.owner = request, thread, owner
        self.files: list = []
        self.prompt = prompt.last_turn_prompt(request) if thread is not None else prompt.build_prompt(request)


def not_continued(err: UpstreamError) -> bool:
    """Whether a failure before any answer means the web app would not continue the conversation, so the turn
    is sent again as a new one on the same account: error 1050 (the model changed, §3.7), or a passing failure
    that is not the account's (what Google answers for a conversation it no longer holds, e.g. a temporary chat
    it did not keep, error 1096 in zexadev's end frames, is not in the reference)."""
    if isinstance(err, ModelInconsistent):
        return True
    return err.failure in (Failure.TRANSIENT, Failure.MALFORMED) and err.cause is not Cause.ACCOUNT


def reshape_for(request: dict, label: str, previous: Reshaped | None) -> Reshaped | None:
    """What reads the answer of this attempt: tool calls (`tools.ToolAnswer`) when functions are offered, a
    JSON check (`generation.JsonAnswer`) in JSON mode, else nothing. The first attempt's is strict; the one
    after it retries `previous` and passes an unusable answer on as text."""
    offer = tools.calling(request)
    strict = previous is None
    if offer is not None:
        return tools.ToolAnswer(offer, label, strict, previous)
    if generation.json_mode(request) is not None:
        return generation.JsonAnswer(label, strict, previous)
    return None


def reshaped(reshape: Reshaped | None, chunks: list[dict]) -> list[dict]:
    """`chunks` as `reshape` gives them (those it holds back left out)."""
    if reshape is None:
        return chunks
    return [out for out in map(reshape.chunk, chunks) if out is not None]


def finished(chunk: dict) -> bool:
    """Whether a chunk carries a finishReason."""
    return any(c.get("finishReason") for c in chunk.get("candidates") or ())


def answer_parts(chunk: dict) -> list[dict]:
    """The answer's parts (no thoughts) in a chunk's first candidate."""
    cands = chunk.get("candidates") or ({},)
    parts = (cands[0].get("content") or {}).get("parts") or ()
    return [p for p in parts if isinstance(p, dict) and not p.get("thought")]


def tell(asked: Asked, snapshots: Snapshots) -> None:
    """Give a bridge caller's Asked the answer's ids, context token, model, images and deep-research plan."""
    asked.cid, asked.rid, asked.rcid, asked.context = snapshots.cid, snapshots.rid, snapshots.rcid, snapshots.context
    asked.model_name = snapshots.model_name
    asked.images = list(snapshots.last.images) if snapshots.last is not None else []
    asked.plan = plan_of(snapshots.last.plan) if snapshots.last is not None else None

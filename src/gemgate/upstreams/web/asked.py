"""What a caller that speaks the web app's own terms (the bridge API, `bridge/`) asks of one StreamGenerate
beyond the Gemini request, and what it learns back: a context variable holding an `Asked` for the request.

The pipeline and the dialects stay Gemini-shaped; only the web kind reads it (when one is set) and fills
in the answer's ids. Inputs: `conversation` (the 10-slot metadata `[cid, rid, rcid, null×6, context]` sent as
inner[2] to continue a chat, reference/gemini-web-protocol.md §3.7), `gem` (inner[19], §6.5), `temporary`
(inner[45] and header[7], §3.4/§3.3; None: the kind's setting), `extended` (inner[80] = 2, §6.4), `research`
(the deep-research slots, §6.9). Outputs: the ids and context token of the answer (payload[1], cand[0],
payload[25]), the model that answered (payload[42]), the images (the candidate's rich content) and a
deep-research plan (`research.plan_of`).
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field

METADATA_SLOTS = 10  # §3.7: [cid, rid, rcid, null×6, ctx]


@dataclass
class Asked:
    """What one bridge turn asks: inputs set by the caller, outputs set by the web kind once the answer ends."""

    conversation: list | None = None
    gem: str | None = None
    temporary: bool | None = None
    extended: bool = False
    research: bool = False
    cid: str | None = None
    rid: str | None = None
    rcid: str | None = None
    context: str | None = None
    model_name: str | None = None
    images: list[dict] = field(default_factory=list)
    plan: dict | None = None

    def metadata(self) -> list | None:
        """inner[2] for continuing `conversation` (None: a new chat)."""
        return list(self.conversation) if self.conversation else None


ASKED: ContextVar[Asked | None] = ContextVar("gemgate_web_asked", default=None)


def metadata(cid: str, rid: str | None, rcid: str | None, context: str | None) -> list:
    """The 10-slot conversation metadata of §3.7 for these ids."""
    return [cid, rid or "", rcid or "", None, None, None, None, None, None, context or ""]

"""The fake gemini.google.com's deep research (reference/gemini-web-protocol.md §6.9, §3.6; the recorded
step-1 answer Leechael/gemini-web-cli `stream_research_step1_response.json`). Written from the reference on its
own (no gateway code).

A turn is a deep-research one when inner[49] = 1; it must then carry what 2.1.1 sends (§3.4): an attestation
stand-in `"!…"` at [3], a 32-hex id at [4], `[[[[[1]]]]]` at [54], `[[1]]` at [55] — else the fake refuses it
(HTTP 400: the real service's answer to a partial one is unknown, and a client must send them all). The first
turn answers a plan (rich-content field 55, sparse key "56", as captured); the plan's confirmation prompt in the
same conversation starts the research; the report appears at `cand[30][0][4]` of the chat's newest turn after
`Research.polls` reads of it (hNvQHb), with the placeholder task id at [3] until then.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gemgate.testing.fake_model import Chunk, Reply

CONFIRM = "Start research"  # the plan's confirmation prompt (§6.9)
PLACEHOLDER_TASK = "agency-placeholder-task-id"  # cand[30][0][3] while running (§3.6)
CONFIRMATION_CONTENT = "http://googleusercontent.com/deep_research_confirmation_content/0"  # as captured
_HEX32 = re.compile(r"[0-9a-f]{32}")


@dataclass
class Research:
    """A conversation's research: its `topic`, whether it was `started`, and how many more reads show it running."""

    topic: str
    started: bool = False
    polls: int = 1

    def document(self) -> list | None:
        """`cand[30]` of the chat's newest turn: `[[id, null, title, task_id, body_md]]` (§3.6); None before start."""
        if not self.started:
            return None
        if self.polls > 0:
            self.polls -= 1
            return [["doc_1", None, f"Report: {self.topic}", PLACEHOLDER_TASK, ""]]
        return [["doc_1", None, f"Report: {self.topic}", "task_1", f"# Report: {self.topic}\n\nFindings."]]


def refusal(inner: list) -> str | None:
    """Why a deep-research inner request (inner[49] = 1) lacks 2.1.1's slots, or None when it has them all."""
    if not (isinstance(inner[3], str) and inner[3].startswith("!") and len(inner[3]) > 100):
        return "inner[3] is not the attestation stand-in"
    if not (isinstance(inner[4], str) and _HEX32.fullmatch(inner[4])):
        return "inner[4] is not a uuid4 hex"
    if inner[54] != [[[[[1]]]]] or inner[55] != [[1]]:
        return "inner[54] / inner[55] are not [[[[[1]]]]] / [[1]]"
    return None


def plan_rich(topic: str) -> list:
    """The rich content of a plan answer, as captured: `[null×6, [0], [], {"56": plan, "70": 2}]`, plan =
    `[title, [[1, label, body], [2, label], [3, label]], eta, [confirm], [url, 0], [modify, [null×3, label]]]`."""
    plan = [topic, [[1, "Research websites", f"(1) Find sources on {topic}."], [2, "Analyse results"],
                    [3, "Create report"]], "Ready in a few mins", [CONFIRM], [CONFIRMATION_CONTENT, 0],
            ["Edit plan", [None, None, None, "Edit the research plan"]]]
    return [None, None, None, None, None, None, [0], [], {"56": plan, "70": 2}]


def turn(research: Research | None, prompt: str) -> tuple[Reply, list | None, Research]:
    """The answer to a deep-research turn, its rich content (a plan) and the conversation's Research: the
    confirmation of a pending plan starts it, anything else plans `prompt`."""
    if research is not None and not research.started and prompt.strip() == CONFIRM:
        research.started = True
        return Reply(chunks=[Chunk([{"text": "I'm starting the research."}], "STOP")]), None, research
    text = f"Here's the plan. Tell me if you want changes before I start.\n{CONFIRMATION_CONTENT}\n"
    return Reply(chunks=[Chunk([{"text": text}], "STOP")]), plan_rich(prompt[:60]), Research(prompt[:60])

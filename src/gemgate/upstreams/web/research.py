"""Deep research (reference/gemini-web-protocol.md §6.9, 2.1.1 `utils/research.py`): an ordinary chat whose
turns carry the deep-research slots (`protocol.deep_research`). The first answer carries a plan (rich-content
field 55); sending the plan's confirmation prompt in the same conversation starts the research; the report is
read from the conversation (`hNvQHb`) once the newest candidate's `cand[30][0][4]` is non-empty.
"""

from __future__ import annotations

from .payload import field, path, text_at

PLACEHOLDER_TASK = "agency-placeholder-task-id"  # cand[30][0][3] while the research runs (§3.6)


def plan_of(raw: list | None) -> dict | None:
    """`{"title", "steps": [{"label", "body"}], "eta", "confirmPrompt"}` from a plan
    `[title, [[n, label, body?], …], eta, [confirm_prompt], [url, …], modify]` (§3.6), or None."""
    if not isinstance(raw, list):
        return None
    steps = [{"label": text_at(step, 1) or "", "body": text_at(step, 2)} for step in field(raw, 1) or ()
             if isinstance(step, list)]
    return {"title": text_at(raw, 0) or "", "steps": steps, "eta": text_at(raw, 2), "confirmPrompt": text_at(raw, 3, 0)}


def report_of(read_chat: object) -> dict:
    """`{"status": "running"|"done", "title", "report"}` from an `hNvQHb` payload: the newest turn's candidate
    `turn[3][0][0]`, its document `cand[30][0]` = `[id, ?, title, task_id, body_md, …]` (§3.6, §6.6); "done"
    once the body is there. No document at all is "running" too (the confirmation turn is still answering)."""
    document = path(read_chat, 0, 0, 3, 0, 0, 30, 0)
    body = text_at(document, 4) if document is not None else None
    return {"status": "done" if body else "running", "title": text_at(document, 2) if document is not None else None,
            "report": body or None}

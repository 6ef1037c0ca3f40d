"""One web-app answer reshaped on its way to the client (tool calls read out of its text, a JSON answer checked),
with the bookkeeping of the one retry an unusable answer gets.

The web app answers in text only (reference/gemini-web-protocol.md §3.6), so what the Gemini API gives as
structure — function calls, JSON mode — is asked for in the prompt and read back here. An answer that cannot be
read is asked for once more on the same account; the second one is passed on as text, with a warning.
"""

from __future__ import annotations

import logging

log = logging.getLogger("gemgate.web")


class Unusable(Exception):
    """The answer does not have the form the prompt asked for; `reason` says how."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Reshaped:
    """One generation's Gemini chunks (from `Snapshots`) as the client gets them; subclasses say what becomes of
    the answer's text (`text`, `end`).

    `strict`: an unusable answer raises Unusable; otherwise it is passed on as text and a warning is logged.
    `after` is the earlier generation of the same request when this one retries it: the text already sent is
    not sent again (where the new answer says the same), nor are new thoughts when the client has had the
    earlier ones (one generation's thoughts, as the pipeline does after a malformed call).
    """

    what = "answer"  # what the prompt asked for, in the warning

    def __init__(self, label: str, strict: bool, after: Reshaped | None = None) -> None:
        self.label = label
        self.strict = strict
        self.thoughts = after.thoughts if after else False
        self.drop_thoughts = self.thoughts
        self.skip = after.sent if after else ""
        self.sent = self.skip  # answer text the client has had from this generation and the one it retries

    def text(self, text: str) -> list[dict]:
        """The parts a piece of the answer's text gives now."""
        raise NotImplementedError

    def end(self) -> list[dict]:
        """The parts left when the answer ends. Raises Unusable (strict)."""
        raise NotImplementedError

    def chunk(self, chunk: dict) -> dict | None:
        """The chunk as the client gets it, or None when nothing of it can be sent yet. Raises Unusable."""
        cand = (chunk.get("candidates") or [{}])[0]
        out: list[dict] = []
        for part in (cand.get("content") or {}).get("parts") or ():
            if "text" in part and not part.get("thought"):
                out += self.text(part["text"])
            elif part.get("thought"):
                if not self.drop_thoughts:
                    self.thoughts = True
                    out.append(part)
            else:
                out.append(part)
        if cand.get("finishReason"):
            out += self.end()
        rest = {k: v for k, v in cand.items() if k != "content"}
        if not out and set(rest) <= {"index"}:
            return None
        if out:
            rest["content"] = {"role": "model", "parts": out}
        return {**chunk, "candidates": [rest]}

    def unusable(self, reason: str, raw: str) -> str:
        """Raise Unusable (strict), or log a warning and give `raw` back to be sent as text."""
        if self.strict:
            raise Unusable(reason)
        log.warning("%s: the model's %s was unusable twice (%s); returned as text", self.label, self.what, reason)
        return raw

    def fresh(self, text: str) -> dict | None:
        """A text part for what the client has not had yet (see `after`), or None."""
        if self.skip:
            same = 0
            limit = min(len(self.skip), len(text))
            while same < limit and self.skip[same] == text[same]:
                same += 1
            if same < limit:
                log.info("%s: the retried answer differs from the text already sent", self.label)
                self.skip = ""
            else:
                self.skip = self.skip[same:]
            text = text[same:]
            if not text:
                return None
        self.sent += text
        return {"text": text}

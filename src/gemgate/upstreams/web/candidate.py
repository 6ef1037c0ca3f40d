"""What one StreamGenerate candidate holds (reference/gemini-web-protocol.md §3.6), read from its JSPB array:
the answer text, the thoughts, the completion flag, images and citations."""

from __future__ import annotations

import re
from dataclasses import dataclass, field as dc_field

from .payload import field, path, text_at

COMPLETE = 2  # cand[8][0]: 1 while generating, 2 when complete
# Placeholders standing for rich content in the text (`http://googleusercontent.com/image_generation_content/0`,
# `…/card_content/0`, `…/deep_research_confirmation_content/0`): 2.1.1 strips them (ARTIFACTS_RE, §3.6).
PLACEHOLDER = re.compile(r"https?://googleusercontent\.com/[A-Za-z_]+/\d+\n?")
_CARD = re.compile(r"^https?://googleusercontent\.com/card_content/\d+")
# Failure texts the app returns as the whole answer of a normal 200 candidate (reference §4.1: "not detected by
# 2.1.1"; the list is Mag1cFall/Gemini-Web2API internal/gemini/failure_text.go, MIT, docs/protocol.md §4 "错误与
# 重试"); issue 9 asks to treat them as an upstream failure and try elsewhere.
CANNED_FAILURES = (
    "Sorry, something went wrong. Please try your request again.",
    "I encountered an error doing what you asked. Could you try again?",
    "I seem to be encountering an error. Can I try something else for you?",
    "I'm having a hard time fulfilling your request. Can I help you with something else instead?",
)
RICH = 12  # cand[12]: the rich content block, itself JSPB
WEB_IMAGES, GENERATED_IMAGES, CITATIONS = 1, 7, 43
RESEARCH_PLAN = 55  # rich-content field of a deep-research plan (sparse key "56"; §3.6, the step-1 capture)


@dataclass
class Candidate:
    """One candidate's cumulative state: `text` and `thoughts` are the whole of each so far."""

    rcid: str | None = None
    text: str = ""
    thoughts: str = ""
    complete: bool = False
    images: list[dict] = dc_field(default_factory=list)  # {"url", "alt", "mime"?}
    citations: list[tuple[str, list[dict]]] = dc_field(default_factory=list)  # (marker, [{"uri", "title"}])
    plan: list | None = None  # a deep-research plan as sent (`research.plan_of` reads it)


def read_candidate(cand: list) -> Candidate:
    """The candidate's content (§3.6 paths: rcid [0], text [1][0] or [22][0] for a card link, thoughts
    [37][0][0], completion [8][0], rich block [12], a deep-research plan in its field 55)."""
    text = text_at(cand, 1, 0) or ""
    if _CARD.match(text):
        text = text_at(cand, 22, 0) or text
    flag = path(cand, 8, 0)
    rich = field(cand, RICH)
    return Candidate(
        rcid=text_at(cand, 0),
        text=text,
        thoughts=text_at(cand, 37, 0, 0) or "",
        complete=flag == COMPLETE,
        images=_web_images(rich) + _generated_images(rich),
        citations=_citations(rich),
        plan=plan if isinstance(plan := field(rich, RESEARCH_PLAN), list) else None,
    )


def _list(value: object) -> list:
    return value if isinstance(value, list) else []


def _web_images(rich: object) -> list[dict]:
    """Field 1: items with `[0][0][0]` the URL, `[0][4]` the alt text."""
    out = []
    for item in _list(field(rich, WEB_IMAGES)):
        url = text_at(item, 0, 0, 0)
        if url:
            out.append({"url": url, "alt": text_at(item, 0, 4) or ""})
    return out


def _generated_images(rich: object) -> list[dict]:
    """Field 7 → [0]: items with `[0][3][3]` the URL, `[0][3][2]` the alt text, `[0][3][11]` the media type."""
    out = []
    for item in _list(path(rich, GENERATED_IMAGES, 0)):
        url = text_at(item, 0, 3, 3)
        if url:
            image = {"url": url, "alt": text_at(item, 0, 3, 2) or ""}
            if text_at(item, 0, 3, 11):
                image["mime"] = text_at(item, 0, 3, 11)
            out.append(image)
    return out


def _citations(rich: object) -> list[tuple[str, list[dict]]]:
    """Field 43: groups `[[marker], [entries]]`, each entry's `[3][0]` = [favicon, url, title]."""
    out = []
    for group in _list(field(rich, CITATIONS)):
        marker = text_at(group, 0, 0) or ""
        sources = []
        for entry in _list(field(group, 1)):
            url = text_at(entry, 3, 0, 1)
            if url:
                sources.append({"uri": url, "title": text_at(entry, 3, 0, 2) or ""})
        if sources:
            out.append((marker, sources))
    return out


def shown_text(text: str, complete: bool) -> str:
    """The part of a snapshot's text that may be sent: placeholders removed, and while generating, a trailing
    "\\n```" (a code fence the app closes provisionally, which 2.1.1's delta reader tolerates, §3.5) and a
    trailing line that is, or may become, a placeholder link are held back."""
    if not complete:
        if text.endswith("\n```"):
            text = text[:-4]
        last = text.rfind("\n") + 1
        tail = text[last:]
        if tail and ("http://googleusercontent.com/".startswith(tail) or "https://googleusercontent.com/".startswith(tail)
                     or tail.startswith(("http://googleusercontent.com/", "https://googleusercontent.com/"))):
            text = text[:last]
    return PLACEHOLDER.sub("", text)


def may_be_canned(text: str) -> bool:
    """Whether `text` (an answer's start) is, or may still become, one of CANNED_FAILURES."""
    start = text.lstrip()
    return bool(start) and any(c.startswith(start) for c in CANNED_FAILURES)


def is_canned(text: str) -> bool:
    """Whether the whole answer is one of CANNED_FAILURES."""
    return text.strip() in CANNED_FAILURES

"""Gemini thought signatures carried in a Responses `reasoning` item's `encrypted_content`.

OpenAI clients send reasoning items back verbatim (Codex always, with `include: ["reasoning.encrypted_content"]`;
reference/client-harness.md §2 "Reasoning"), so the signatures of a model turn ride there and survive a restart
without the store. One turn's entries may be spread over several reasoning items (`responses_output` carries
each signature in the first item done after it is settled); a replay joins them all. The value is "gemgate.1."
+ base64url(JSON) of one entry per signature, placed by what it signed among the turn's visible parts (its
message texts and function calls, in output order):

  {"c": call_id, "s": sig}  the function call with that call_id
  {"t": n, "s": sig}        the n-th text part of the turn
  {"e": n, "s": sig}        a signed part without visible content (Gemini 3's closing `{"text": "", ...}`, a
                            signed empty thought), replayed as an empty signed text part before the n-th visible part
  {"o": kind}               the upstream kind that issued them (a replay prefers it: `gemini.signatures`)

Google's signatures are opaque and verified by Google, so nothing here needs to be secret or trusted: an
`encrypted_content` not made here (another provider's) or damaged is ignored.
"""

from __future__ import annotations

import base64
import binascii

import orjson

PREFIX = "gemgate.1."


def seal(entries: list[dict], origin: str | None = None) -> str:
    """The encrypted_content for a turn's signature entries, issued by upstream kind `origin` (None: unknown)."""
    carried = entries + [{"o": origin}] if origin else entries
    return PREFIX + base64.urlsafe_b64encode(orjson.dumps(carried)).decode().rstrip("=")


def unseal(value: object) -> list[dict]:
    """The well-formed signature entries of an encrypted_content made by `seal`; [] for anything else. The
    value comes back from the client, so an entry with a place of the wrong type (a forged or damaged one) is
    dropped here rather than failing the request."""
    return [e for e in _entries(value) if isinstance(e.get("s"), str) and _placed(e)]


def _placed(entry: dict) -> bool:
    if "c" in entry:
        return isinstance(entry["c"], str)
    return any(type(entry.get(k)) is int for k in ("t", "e"))  # bool is an int too: not a place


def sealed_origin(value: object) -> str | None:
    """The upstream kind that issued the signatures of an encrypted_content made by `seal` (None: unknown)."""
    return next((e["o"] for e in _entries(value) if isinstance(e.get("o"), str)), None)


def _entries(value: object) -> list[dict]:
    if not isinstance(value, str) or not value.startswith(PREFIX):
        return []
    raw = value[len(PREFIX):]
    try:
        entries = orjson.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except (binascii.Error, ValueError, orjson.JSONDecodeError):
        return []
    return [e for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []


def apply_entries(parts: list[dict], call_ids: dict[int, str], entries: list[dict]) -> None:
    """Put the signatures of `entries` back on a model turn's `parts` (changed in place); `call_ids` maps id()
    of each functionCall part to its call_id. Entries that match nothing are dropped."""
    visible = [p for p in parts if "functionCall" in p or "text" in p]
    texts = [p for p in visible if "text" in p]
    by_call = {call_ids[id(p)]: p for p in visible if id(p) in call_ids}
    inserts: list[tuple[int, str]] = []
    for entry in entries:
        sig = entry["s"]
        if "c" in entry:
            if entry["c"] in by_call:
                by_call[entry["c"]]["thoughtSignature"] = sig
        elif type(entry.get("t")) is int and 0 <= entry["t"] < len(texts):
            texts[entry["t"]]["thoughtSignature"] = sig
        elif type(entry.get("e")) is int and entry["e"] >= 0:
            inserts.append((min(entry["e"], len(visible)), sig))
    for n, sig in sorted(inserts, key=lambda x: -x[0]):
        at = parts.index(visible[n]) if n < len(visible) else len(parts)
        parts.insert(at, {"text": "", "thoughtSignature": sig})

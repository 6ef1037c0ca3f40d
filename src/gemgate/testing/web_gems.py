"""The fake gemini.google.com's gems (reference/gemini-web-protocol.md §6.5, from 2.1.1 `components/gem_mixin.py`):
what `CNgdBe` (list), `oMH3Zd` (create), `kHv0Vd` (update) and `UXcSJb` (delete) answer. No capture of these
answers exists; the layouts are the reference's: a list's `payload[2]` holds gems `[id, [name, description],
[prompt]]`, a create's `payload[0]` the new id. A payload not shaped as §6.5 gives it is refused (HTTP 400).
Written from the reference on its own (no gateway code).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from gemgate.testing.web_history import Refused

LIST, CREATE, UPDATE, DELETE = "CNgdBe", "oMH3Zd", "kHv0Vd", "UXcSJb"
GEM_RPCS = frozenset({LIST, CREATE, UPDATE, DELETE})
CUSTOM, SYSTEM, SYSTEM_AND_HIDDEN = 2, 3, 4  # CNgdBe payload[0] (§6.5)
_ids = itertools.count(1)


@dataclass
class Gem:
    """One gem: `prompt` None for the predefined ones (their instructions are Google's), `hidden` for those only
    `[4, …]` lists."""

    id: str
    name: str
    description: str
    prompt: str | None = None
    hidden: bool = False


def predefined() -> dict[str, Gem]:
    """The system gems every account sees; predefined ids look like "coding-partner" (§6.5)."""
    gems = [Gem("coding-partner", "Coding partner", "Help with code"),
            Gem("brainstormer", "Brainstormer", "Ideas for anything"),
            Gem("storybook", "Storybook", "Illustrated stories", hidden=True)]
    return {g.id: g for g in gems}


def _fields(values: object, length: int, tail: list) -> tuple[str, str, str]:
    """name, description, prompt of `[name, desc, prompt, null×5, 0, null, 1, null×3, [] (, 0)]`."""
    if not (isinstance(values, list) and len(values) == length and all(isinstance(v, str) for v in values[:3])
            and values[3:8] == [None] * 5 and values[8:11] == [0, None, 1] and values[11:14] == [None] * 3
            and values[14:] == tail):
        raise Refused("payload is not [name, desc, prompt, null×5, 0, null, 1, null×3, []" + (", 0]" if len(tail) > 1 else "]"))
    return values[0], values[1], values[2]


def answer(rpc: str, payload: object, gems: dict[str, Gem]) -> object:
    """The payload the gem RPC answers for one account's `gems` (system and custom; changed in place). Raises
    Refused for a payload shaped unlike §6.5's, KeyError for a gem id that is not a custom gem of the account."""
    if rpc == LIST:  # [kind, [lang], 0]
        if not (isinstance(payload, list) and len(payload) == 3 and payload[0] in (CUSTOM, SYSTEM, SYSTEM_AND_HIDDEN)
                and isinstance(payload[1], list) and payload[2] == 0):
            raise Refused("payload is not [2|3|4, [lang], 0]")
        system = [g for g in gems.values() if g.prompt is None and (payload[0] == SYSTEM_AND_HIDDEN or not g.hidden)]
        chosen = [g for g in gems.values() if g.prompt is not None] if payload[0] == CUSTOM else system
        return [None, None, [[g.id, [g.name, g.description], [g.prompt] if g.prompt is not None else None] for g in chosen]]
    if rpc == CREATE:  # [[name, desc, prompt, null×5, 0, null, 1, null×3, []]]
        if not (isinstance(payload, list) and len(payload) == 1):
            raise Refused("payload is not [[name, desc, prompt, …]]")
        name, description, prompt = _fields(payload[0], 15, [[]])
        gem = Gem(f"{next(_ids):012x}", name, description, prompt)
        gems[gem.id] = gem
        return [gem.id]
    if rpc == UPDATE:  # [id, [name, desc, prompt, null×5, 0, null, 1, null×3, [], 0]]
        if not (isinstance(payload, list) and len(payload) == 2 and isinstance(payload[0], str)):
            raise Refused("payload is not [id, [name, desc, prompt, …, [], 0]]")
        name, description, prompt = _fields(payload[1], 16, [[], 0])
        if gems[payload[0]].prompt is None:
            raise KeyError(payload[0])  # a predefined gem cannot be changed
        gems[payload[0]] = Gem(payload[0], name, description, prompt)
        return []
    if rpc == DELETE:  # [id]
        if not (isinstance(payload, list) and len(payload) == 1 and isinstance(payload[0], str)):
            raise Refused("payload is not [id]")
        if gems[payload[0]].prompt is None:
            raise KeyError(payload[0])
        del gems[payload[0]]
        return []
    raise Refused(f"no such rpc {rpc}")

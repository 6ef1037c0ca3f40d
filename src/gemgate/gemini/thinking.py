"""One table from every way a client asks for thinking to Gemini's thinkingConfig.

Gemini 2.5 takes `thinkingBudget` (tokens), Gemini 3.x takes `thinkingLevel`; sending both is a 400,
so exactly one of them is ever produced. 2.5 Pro and all 3.x models cannot switch thinking off:
"none" maps to their lowest setting and only hides the thoughts.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

EFFORTS = ("none", "minimal", "low", "medium", "high", "max")

# @think=N: 0 is the deepest, 4 the shallowest.
DEPTHS = ("max", "high", "medium", "low", "minimal")

# Budgets per 2.5 family; "auto" is Gemini's dynamic budget.
_BUDGETS: dict[str, dict[str, int]] = {
    "2.5-pro": {"none": 128, "minimal": 512, "low": 1024, "medium": 8192, "high": 24576, "max": 32768, "auto": -1},
    "2.5-flash": {"none": 0, "minimal": 512, "low": 1024, "medium": 8192, "high": 24576, "max": 24576, "auto": -1},
    "2.5-flash-lite": {"none": 0, "minimal": 512, "low": 1024, "medium": 8192, "high": 24576, "max": 24576, "auto": -1},
}

# Levels per 3.x family. Pro offers LOW and HIGH only.
_LEVELS: dict[str, dict[str, str]] = {
    "3-pro": {"none": "LOW", "minimal": "LOW", "low": "LOW", "medium": "HIGH", "high": "HIGH", "max": "HIGH", "auto": "HIGH"},
    "3-flash": {
        "none": "MINIMAL",
        "minimal": "MINIMAL",
        "low": "LOW",
        "medium": "MEDIUM",
        "high": "HIGH",
        "max": "HIGH",
        "auto": "HIGH",
    },
}


@dataclass(frozen=True)
class ThinkingRequest:
    """What the client asked for: an effort name ("auto" = model default, visible), or a token budget."""

    effort: str | None = None
    budget: int | None = None
    include_thoughts: bool | None = None


def merge_thinking(suffix: ThinkingRequest | None, asked: ThinkingRequest | None) -> ThinkingRequest | None:
    """What the request's own fields ask, on top of what the model-name suffix asks.

    A field the request sets wins; a token budget in the request replaces the suffix's effort.
    """
    if asked is None:
        return suffix
    if suffix is None:
        return asked
    effort = asked.effort if asked.effort is not None else (None if asked.budget is not None else suffix.effort)
    include = asked.include_thoughts if asked.include_thoughts is not None else suffix.include_thoughts
    return ThinkingRequest(effort=effort, budget=asked.budget, include_thoughts=include)


@functools.lru_cache(maxsize=1024)
def family(model: str) -> str | None:
    """The thinking family of a model id, or None for models that do not think."""
    m = model.lower()
    if m.startswith("gemini-3") or m.startswith("gemini-4"):
        return "3-flash" if "flash" in m else "3-pro"
    if m.startswith("gemini-2.5"):
        if "image" in m or "tts" in m:  # gemini-2.5-flash-image, -flash-preview-tts: no thinking
            return None
        if "flash-lite" in m:
            return "2.5-flash-lite"
        if "flash" in m:
            return "2.5-flash"
        return "2.5-pro"
    if "thinking" in m:  # e.g. gemini-2.0-flash-thinking-exp
        return "2.5-flash"
    return None


def needs_signatures(model: str) -> bool:
    """Gemini 3 rejects replayed function calls that lack their thought signature."""
    fam = family(model)
    return fam is not None and fam.startswith("3")


def _effort_for_budget(budget: int) -> str:
    if budget == 0:
        return "none"
    if budget < 0:
        return "auto"
    for name in ("minimal", "low", "medium", "high"):
        if budget <= _BUDGETS["2.5-flash"][name]:
            return name
    return "max"


def _clamp_budget(fam: str, budget: int) -> int:
    table = _BUDGETS[fam]
    if budget < 0:
        return -1
    if budget == 0:
        return table["none"]
    return max(min(budget, table["max"]), 128 if fam == "2.5-pro" else table["minimal"])


def thinking_config(model: str, request: ThinkingRequest | None) -> dict | None:
    """The Gemini `generationConfig.thinkingConfig` for this model, or None for a model that does not think.

    Budgets are tokens. Raises ValueError for an unknown effort name (dialects validate before).
    Source: ai.google.dev/gemini-api/docs/thinking (budget ranges per 2.5 model, levels for 3.x).
    """
    fam = family(model)
    if fam is None:
        return None
    request = request or ThinkingRequest(effort="auto")
    effort = request.effort
    if effort is None and request.budget is not None:
        effort = _effort_for_budget(request.budget)
    effort = effort or "auto"
    if effort not in _BUDGETS["2.5-pro"]:
        raise ValueError(f"unknown thinking effort {effort!r}; use one of {', '.join(EFFORTS)}")
    show = request.include_thoughts if request.include_thoughts is not None else effort != "none"
    config: dict = {"includeThoughts": show}
    if fam in _LEVELS:
        if effort != "auto":
            config["thinkingLevel"] = _LEVELS[fam][effort]
    elif request.budget is not None and request.effort is None:
        config["thinkingBudget"] = _clamp_budget(fam, request.budget)
    elif effort != "auto":
        config["thinkingBudget"] = _BUDGETS[fam][effort]
    if config.get("thinkingBudget") == 0:
        config["includeThoughts"] = False
    return config

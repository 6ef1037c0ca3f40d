"""Every way a client asks for thinking, turned into Gemini's thinkingConfig within what the model accepts.

Gemini 2.5 takes `thinkingBudget` (tokens), Gemini 3.x takes `thinkingLevel`; sending both is a 400,
so exactly one of them is ever produced. The ranges and levels per model are in `gemini.capabilities`
(one sourced table). Effort names map to an allowed value: 2.5 Pro and all 3.x models cannot switch
thinking off, so "none" maps to their lowest setting and only hides the thoughts. An explicit token
budget is sent as is or refused, never changed.
"""

from __future__ import annotations

from dataclasses import dataclass

from .capabilities import ALL_LEVELS, Budget, Refused, capabilities, check_budget, check_level

EFFORTS = ("none", "minimal", "low", "medium", "high", "max")

# @think=N: 0 is the deepest, 4 the shallowest.
DEPTHS = ("max", "high", "medium", "low", "minimal")

# Budgets an effort name stands for, before the model's range is applied ("none" and "max" are the ends
# of that range). Google's own OpenAI compatibility layer maps low/medium/high to 1K/8K/24K
# (reference/peers.md §7 item 5); "minimal" is the 512 the Gemini CLI uses for utility calls
# (reference/codeassist-and-gemini-api.md §A3).
_NOMINAL_BUDGETS = {"minimal": 512, "low": 1024, "medium": 8192, "high": 24576}
# For a model whose budget range is not documented (gemini-2.0-flash-thinking-exp): 2.5 Flash's.
_FALLBACK_RANGE = Budget(1, 24576, True)
# The level an effort name stands for; a model without it gets the next deeper level it has.
_EFFORT_LEVELS = {"minimal": "MINIMAL", "low": "LOW", "medium": "MEDIUM", "high": "HIGH", "max": "HIGH"}


@dataclass(frozen=True)
class ThinkingRequest:
    """What the client asked for: an effort name ("auto" = model default, visible), a token budget, or a
    Gemini thinkingLevel value ("MINIMAL".."HIGH"; sent as is where the model has it, else refused).
    `adaptive`: the client leaves thinking to the model (Anthropic's `thinking: {type: "adaptive"}`), so a
    model that cannot think answers without it instead of refusing."""

    effort: str | None = None
    budget: int | None = None
    include_thoughts: bool | None = None
    param: str | None = None  # the request field the budget or level came from, named in a refusal
    level: str | None = None
    adaptive: bool = False


def merge_thinking(suffix: ThinkingRequest | None, asked: ThinkingRequest | None) -> ThinkingRequest | None:
    """What the request's own fields ask, on top of what the model-name suffix asks.

    A field the request sets wins; a token budget or level in the request replaces the suffix's effort.
    """
    if asked is None:
        return suffix
    if suffix is None:
        return asked
    explicit = asked.budget is not None or asked.level is not None
    effort = asked.effort if asked.effort is not None else (None if explicit else suffix.effort)
    include = asked.include_thoughts if asked.include_thoughts is not None else suffix.include_thoughts
    return ThinkingRequest(effort=effort, budget=asked.budget, include_thoughts=include, param=asked.param,
                           level=asked.level, adaptive=asked.adaptive)


def family(model: str) -> str | None:
    """The thinking family of a model id ("2.5-flash", "3-pro", …), or None for models that do not think."""
    return capabilities(model).family


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
        if budget <= _NOMINAL_BUDGETS[name]:
            return name
    return "max"


def effort_budget(budget: Budget | None, effort: str) -> int:
    """The thinkingBudget an effort name stands for within a model's range (never outside it)."""
    budget = budget or _FALLBACK_RANGE
    if effort == "none":
        return 0 if budget.can_disable else budget.minimum
    if effort == "max":
        return budget.maximum
    return min(max(_NOMINAL_BUDGETS[effort], budget.minimum), budget.maximum)


def effort_level(levels: tuple[str, ...], effort: str) -> str:
    """The thinkingLevel an effort name stands for among a model's levels: "none" is the shallowest, any
    other the level of that name or, when the model lacks it, the next deeper one it has."""
    if effort == "none":
        return levels[0]
    wanted = ALL_LEVELS.index(_EFFORT_LEVELS[effort])
    for level in levels:
        if ALL_LEVELS.index(level) >= wanted:
            return level
    return levels[-1]


def thinking_config(model: str, request: ThinkingRequest | None) -> dict | None:
    """The Gemini `generationConfig.thinkingConfig` for this model, or None for a model that does not think.

    Effort names map to a value the model accepts (gemini.capabilities has the ranges and levels). A token
    budget or a thinkingLevel is a value, not a name: sent as is when the model accepts it (a budget on
    Gemini 3.x too, which Google accepts for backwards compatibility, reference/antigravity.md §6.1) and
    `Refused` (naming `request.param`) when a source says Google refuses it.
    Raises ValueError for an unknown effort name (dialects validate before).
    """
    caps = capabilities(model)
    if not caps.thinks:
        return None
    request = request or ThinkingRequest(effort="auto")
    effort = request.effort
    explicit = request.budget is not None and effort is None
    if explicit:
        effort = _effort_for_budget(request.budget)
    elif request.level is not None and effort is None:
        effort = "minimal" if request.level.upper() == "MINIMAL" else "low"  # any level but MINIMAL shows thoughts
    effort = effort or "auto"
    if effort not in EFFORTS and effort != "auto":
        raise ValueError(f"unknown thinking effort {effort!r}; use one of {', '.join(EFFORTS)}")
    show = request.include_thoughts if request.include_thoughts is not None else effort != "none"
    config: dict = {"includeThoughts": show}
    if explicit:
        config["thinkingBudget"] = check_budget(model, request.budget, request.param or "thinking_budget")
    elif request.level is not None and request.effort is None:
        config["thinkingLevel"] = check_level(model, request.level.upper(), request.param or "thinking_level")
    elif caps.uses_levels:
        if effort != "auto":
            config["thinkingLevel"] = effort_level(caps.levels, effort)
    elif effort != "auto":
        config["thinkingBudget"] = effort_budget(caps.budget, effort)
    if config.get("thinkingBudget") == 0:
        config["includeThoughts"] = False
    return config


def effort_notes(model: str, request: ThinkingRequest, config: dict) -> tuple[str, ...]:
    """What the response should say when an effort *name* could not be honoured as named: "none" on a model
    whose thinking cannot be turned off (its lowest setting is used and the thoughts are hidden), or a level
    the model lacks (the next deeper one is used). () when the setting is what the name says."""
    effort = request.effort
    if effort is None or effort == "auto" or request.budget is not None or request.level is not None:
        return ()
    caps = capabilities(model)
    if effort == "none" and not caps.can_disable:
        setting = (f"thinkingLevel={config['thinkingLevel']}" if "thinkingLevel" in config
                   else f"thinkingBudget={config.get('thinkingBudget')}")
        return (f"{setting} (asked no thinking: thinking cannot be turned off on {model}; its lowest setting is "
                "used and the thoughts are hidden)",)
    level = config.get("thinkingLevel")
    wanted = _EFFORT_LEVELS.get(effort)
    if level is not None and wanted is not None and effort != "max" and level != wanted:
        return (f"thinkingLevel={level} (asked {effort}: {model} has no {wanted} level)",)
    return ()


__all__ = [
    "DEPTHS",
    "EFFORTS",
    "Refused",
    "ThinkingRequest",
    "effort_budget",
    "effort_level",
    "effort_notes",
    "family",
    "merge_thinking",
    "needs_signatures",
    "thinking_config",
]

"""Thinking behaviour of Gemini model families, per Google's thinking docs.

The fake model (what it answers) and the request validator (what it rejects)
must agree on these, so they live in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

ALL_LEVELS = ("MINIMAL", "LOW", "MEDIUM", "HIGH")


@dataclass(frozen=True)
class ThinkingTraits:
    supported: bool = False  # the model can think at all
    uses_levels: bool = False  # Gemini 3 accepts thinkingLevel, 2.5 only thinkingBudget
    default_on: bool = False  # thinks when no thinkingConfig is given
    can_disable: bool = True  # thinkingBudget 0 accepted
    min_budget: int = 0
    max_budget: int = 0
    levels: tuple[str, ...] = ()


def bare_model_id(model: str) -> str:
    return model[len("models/") :] if model.startswith("models/") else model


def is_gemini3(model: str) -> bool:
    return bare_model_id(model).startswith("gemini-3")


def thinking_traits(model: str) -> ThinkingTraits:
    """What Google accepts for this model's thinkingConfig (the fake's own table; the gateway has another).

    Sources: ai.google.dev/gemini-api/docs/thinking, "Set the thinking budget" (2.5 ranges: Pro 128..32768
    and cannot be turned off, Flash 0..24576 with 1 the smallest budget when on, Flash-Lite 512..24576, all
    -1 dynamic) and "Thinking levels" (3 Pro LOW/HIGH, 3 Flash MINIMAL..HIGH); reference/antigravity.md
    §6.1 (3.x: levels or budgets, never both; Pro has no minimal). The shared references give no ranges.
    3.x budget ranges are not documented: the 2.5 ranges of the same tier stand in for them.
    """
    mid = bare_model_id(model)
    if mid.startswith("gemini-3"):
        if mid.startswith("gemini-3.1-pro"):
            # 3.1 Pro adds MEDIUM and has no MINIMAL (Google's ThinkingLevel docs; LiteLLM's 3.1 Pro notes).
            return ThinkingTraits(True, True, True, False, 128, 32768, ("LOW", "MEDIUM", "HIGH"))
        if "pro" in mid:
            # 3.x Pro: only low/high, and "only works in thinking mode".
            return ThinkingTraits(True, True, True, False, 128, 32768, ("LOW", "HIGH"))
        return ThinkingTraits(True, True, True, True, 1, 24576, ALL_LEVELS)
    if mid.startswith("gemini-2.5") and ("image" in mid or "tts" in mid):
        return ThinkingTraits()  # 2.5 image and TTS models do not think (ai.google.dev/gemini-api/docs/models)
    if mid.startswith("gemini-2.5-pro"):
        return ThinkingTraits(True, False, True, False, 128, 32768)
    if mid.startswith("gemini-2.5-flash-lite"):
        return ThinkingTraits(True, False, False, True, 512, 24576)
    if mid.startswith("gemini-2.5"):
        return ThinkingTraits(True, False, True, True, 1, 24576)
    return ThinkingTraits()


def thinking_active(model: str, thinking_config: Mapping[str, Any] | None) -> bool:
    """Whether the model thinks for a request with this (camelCase) thinkingConfig."""
    traits = thinking_traits(model)
    if not traits.supported:
        return False
    cfg = thinking_config or {}
    budget = cfg.get("thinkingBudget")
    if budget is not None and int(budget) == 0:
        return False
    if cfg.get("thinkingLevel") is not None or budget is not None:
        return True
    return traits.default_on


@dataclass(frozen=True)
class FeatureTraits:
    """Request parameters and combinations a model accepts at the Gemini API (the fake's own table; the
    gateway's is gemini.capabilities.Accepts). `builtin_with_functions`: "yes", "flag" (only with
    toolConfig.includeServerSideToolInvocations) or "no". Sources at `feature_traits`."""

    penalties: bool = True
    logprobs: bool = True
    json_with_functions: bool = True
    builtin_with_functions: str = "yes"
    json_with_builtin: bool = True
    candidates: bool = True  # candidateCount above 1


def feature_traits(model: str) -> FeatureTraits:
    """What the Gemini API refuses per family, as public reports quote Google (messages in gemini_validation):
    penalties on 2.5 and 3.x (PublicAffairs/openai-gemini#63; BerriAI/litellm#16907, #32273); logprobs on 2.5
    (googleapis/python-genai#1921, 2026-01: only 2.0 Flash returns them) and 3.x (GoogleCloudPlatform/
    generative-ai#2947, 2026-06, on Vertex; nothing shows the Gemini API returning them); JSON output with
    function calling or with a built-in tool before Gemini 3 (google/adk-python#5735, snailyp/gemini-balance#264);
    built-in tools with function calling: never before 3.x, on 3.x only with the flag (ai.google.dev/gemini-api/
    docs/tool-combination; prism-php/prism#972); more than one candidate on 3.x (googleapis/js-genai#1609).
    Other models: nothing refused."""
    mid = bare_model_id(model)
    if mid.startswith("gemini-3"):
        return FeatureTraits(False, False, True, "flag", True, False)
    if mid.startswith("gemini-2.5"):
        return FeatureTraits(False, False, False, "no", False)
    if mid.startswith("gemini-2.0"):
        return FeatureTraits(True, True, False, "no", False)
    return FeatureTraits()

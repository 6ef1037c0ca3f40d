"""The one thinking table: efforts, budgets and levels per model family — never both budget and level."""

import pytest

from gemgate.gemini.thinking import ThinkingRequest, family, needs_signatures, thinking_config


@pytest.mark.parametrize(
    "model, effort, expected",
    [
        ("gemini-2.5-flash", "none", {"includeThoughts": False, "thinkingBudget": 0}),
        ("gemini-2.5-flash", "minimal", {"includeThoughts": True, "thinkingBudget": 512}),
        ("gemini-2.5-flash", "low", {"includeThoughts": True, "thinkingBudget": 1024}),
        ("gemini-2.5-flash", "medium", {"includeThoughts": True, "thinkingBudget": 8192}),
        ("gemini-2.5-flash", "high", {"includeThoughts": True, "thinkingBudget": 24576}),
        ("gemini-2.5-flash", "max", {"includeThoughts": True, "thinkingBudget": 24576}),
        ("gemini-2.5-flash", "auto", {"includeThoughts": True}),
        # 2.5 Pro cannot switch thinking off: "none" is its smallest budget, thoughts hidden
        ("gemini-2.5-pro", "none", {"includeThoughts": False, "thinkingBudget": 128}),
        ("gemini-2.5-pro", "max", {"includeThoughts": True, "thinkingBudget": 32768}),
        ("gemini-2.5-flash-lite", "none", {"includeThoughts": False, "thinkingBudget": 0}),
        ("gemini-3-pro-preview", "none", {"includeThoughts": False, "thinkingLevel": "LOW"}),
        ("gemini-3-pro-preview", "low", {"includeThoughts": True, "thinkingLevel": "LOW"}),
        ("gemini-3-pro-preview", "medium", {"includeThoughts": True, "thinkingLevel": "HIGH"}),
        ("gemini-3-pro-preview", "high", {"includeThoughts": True, "thinkingLevel": "HIGH"}),
        ("gemini-3-flash-preview", "minimal", {"includeThoughts": True, "thinkingLevel": "MINIMAL"}),
        ("gemini-3-flash-preview", "medium", {"includeThoughts": True, "thinkingLevel": "MEDIUM"}),
        ("gemini-3-flash-preview", "auto", {"includeThoughts": True}),
    ],
)
def test_effort_table(model, effort, expected):
    assert thinking_config(model, ThinkingRequest(effort=effort)) == expected


@pytest.mark.parametrize("model", ["gemini-2.5-flash", "gemini-2.5-pro", "gemini-3-pro-preview", "gemini-3-flash-preview"])
@pytest.mark.parametrize("effort", ["none", "minimal", "low", "medium", "high", "max", "auto"])
def test_never_both_budget_and_level(model, effort):
    config = thinking_config(model, ThinkingRequest(effort=effort))
    assert not ("thinkingBudget" in config and "thinkingLevel" in config)
    if model.startswith("gemini-3"):
        assert "thinkingBudget" not in config
    else:
        assert "thinkingLevel" not in config


def test_budgets_are_clamped_or_mapped_to_levels():
    assert thinking_config("gemini-2.5-flash", ThinkingRequest(budget=100_000))["thinkingBudget"] == 24576
    assert thinking_config("gemini-2.5-pro", ThinkingRequest(budget=0))["thinkingBudget"] == 128
    assert thinking_config("gemini-2.5-flash", ThinkingRequest(budget=-1))["thinkingBudget"] == -1
    assert thinking_config("gemini-3-pro-preview", ThinkingRequest(budget=500))["thinkingLevel"] == "LOW"
    assert thinking_config("gemini-3-flash-preview", ThinkingRequest(budget=20000))["thinkingLevel"] == "HIGH"


def test_non_thinking_models_get_nothing():
    assert family("gemini-2.0-flash") is None
    assert thinking_config("gemini-2.0-flash", ThinkingRequest(effort="high")) is None


def test_unknown_effort_raises():
    with pytest.raises(ValueError):
        thinking_config("gemini-2.5-flash", ThinkingRequest(effort="extreme"))


def test_signature_requirement_by_family():
    assert needs_signatures("gemini-3-pro-preview")
    assert needs_signatures("gemini-3-flash-preview")
    assert not needs_signatures("gemini-2.5-pro")

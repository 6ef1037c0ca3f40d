"""The one thinking table: efforts, budgets and levels per model family — never both budget and level."""

import pytest

from gemgate.gemini.capabilities import Refused
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


def test_budgets_the_model_accepts_are_sent_as_is():
    # issue 6 §2: 50 on 2.5 Flash was sent as 512 (Flash-Lite's floor applied to Flash)
    assert thinking_config("gemini-2.5-flash", ThinkingRequest(budget=50)) == {"includeThoughts": True, "thinkingBudget": 50}
    assert thinking_config("gemini-2.5-flash", ThinkingRequest(budget=-1))["thinkingBudget"] == -1
    assert thinking_config("gemini-2.5-pro", ThinkingRequest(budget=128))["thinkingBudget"] == 128
    assert thinking_config("gemini-2.5-flash-lite", ThinkingRequest(budget=0)) == {"includeThoughts": False,
                                                                                   "thinkingBudget": 0}


@pytest.mark.parametrize("model, budget, words", [
    ("gemini-2.5-flash", 100_000, "thinking_budget 100000 is above gemini-2.5-flash's maximum of 24576; "
                                  "allowed: 0 (off), 1..24576 or -1 (dynamic)"),
    ("gemini-2.5-pro", 0, "thinking_budget 0 is invalid: thinking cannot be turned off on gemini-2.5-pro; "
                          "allowed: 128..32768 or -1 (dynamic)"),
    ("gemini-2.5-pro", 50, "thinking_budget 50 is below gemini-2.5-pro's minimum of 128; "
                           "allowed: 128..32768 or -1 (dynamic)"),
    ("gemini-2.5-flash-lite", 511, "thinking_budget 511 is below gemini-2.5-flash-lite's minimum of 512; "
                                   "allowed: 0 (off), 512..24576 or -1 (dynamic)"),
])
def test_budgets_the_model_refuses_are_refused_not_changed(model, budget, words):
    with pytest.raises(Refused) as err:
        thinking_config(model, ThinkingRequest(budget=budget, param="google.thinking_config.thinking_budget"))
    assert str(err.value) == words and err.value.param == "google.thinking_config.thinking_budget"


def test_budgets_and_levels_on_gemini3_are_values_sent_as_is():
    # Gemini 3.x still accepts thinkingBudget (backwards compatibility): a budget is not turned into a level.
    assert thinking_config("gemini-3-pro-preview", ThinkingRequest(budget=500)) == {"includeThoughts": True, "thinkingBudget": 500}
    assert thinking_config("gemini-3-flash-preview", ThinkingRequest(budget=50))["thinkingBudget"] == 50
    assert thinking_config("gemini-3-flash-preview", ThinkingRequest(level="minimal"))["thinkingLevel"] == "MINIMAL"
    with pytest.raises(Refused) as err:  # a level is a value too: 3 Pro has no MINIMAL
        thinking_config("gemini-3-pro-preview", ThinkingRequest(level="MINIMAL", param="google.thinking_config.thinking_level"))
    assert err.value.param == "google.thinking_config.thinking_level" and "allowed: LOW, HIGH" in str(err.value)


def test_effort_levels_follow_the_models_own_levels():
    # 3.1 Pro has MEDIUM (3 Pro does not): an effort maps to the level of its name when the model has it
    assert thinking_config("gemini-3.1-pro-preview", ThinkingRequest(effort="medium"))["thinkingLevel"] == "MEDIUM"
    assert thinking_config("gemini-3.1-pro-preview", ThinkingRequest(effort="minimal"))["thinkingLevel"] == "LOW"
    assert thinking_config("gemini-3-pro-preview", ThinkingRequest(effort="medium"))["thinkingLevel"] == "HIGH"


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

"""The per-model capability table (gemini.capabilities): every documented boundary accepted at the boundary
and refused one past it, levels per model, and apply_model_spec using it for every dialect."""

from __future__ import annotations

import pytest

from gemgate.catalog import ModelSpec, apply_model_spec
from gemgate.errors import GatewayError
from gemgate.gemini.capabilities import (
    Refused,
    capabilities,
    check_budget,
    check_level,
    check_thinking_config,
)
from gemgate.gemini.thinking import ThinkingRequest

# (model, minimum, maximum, 0 turns thinking off) — ai.google.dev/gemini-api/docs/thinking
RANGES = [
    ("gemini-2.5-pro", 128, 32768, False),
    ("gemini-2.5-flash", 1, 24576, True),
    ("gemini-2.5-flash-lite", 512, 24576, True),
]


@pytest.mark.parametrize("model, low, high, off", RANGES)
def test_budget_boundaries(model, low, high, off):
    for accepted in (low, high, -1):
        assert check_budget(model, accepted, "thinkingBudget") == accepted
    for refused in (low - 1, high + 1, -2):
        if refused == 0:
            continue
        with pytest.raises(Refused):
            check_budget(model, refused, "thinkingBudget")
    if off:
        assert check_budget(model, 0, "thinkingBudget") == 0
    else:
        with pytest.raises(Refused, match="cannot be turned off"):
            check_budget(model, 0, "thinkingBudget")


def test_flash_accepts_50_the_value_issue_6_found_rewritten():
    assert check_budget("gemini-2.5-flash", 50, "thinking_budget") == 50
    assert capabilities("gemini-2.5-flash").budget.minimum == 1


def test_refusal_names_the_parameter_and_the_allowed_range():
    with pytest.raises(Refused) as err:
        check_budget("gemini-2.5-pro", 50, "google.thinking_config.thinking_budget")
    assert str(err.value) == ("thinking_budget 50 is below gemini-2.5-pro's minimum of 128; "
                              "allowed: 128..32768 or -1 (dynamic)")
    assert err.value.param == "google.thinking_config.thinking_budget"


@pytest.mark.parametrize("value", ["50", 1.5, True, None])
def test_budget_must_be_an_integer(value):
    with pytest.raises(Refused, match="must be an integer"):
        check_budget("gemini-2.5-flash", value, "thinkingBudget")


@pytest.mark.parametrize("model, levels", [
    ("gemini-3-pro-preview", ("LOW", "HIGH")),
    ("gemini-3.1-pro-preview", ("LOW", "MEDIUM", "HIGH")),
    ("gemini-3-flash-preview", ("MINIMAL", "LOW", "MEDIUM", "HIGH")),
])
def test_levels_per_model(model, levels):
    assert capabilities(model).levels == levels
    for level in ("MINIMAL", "LOW", "MEDIUM", "HIGH"):
        if level in levels:
            assert check_level(model, level, "thinkingLevel") == level
            assert check_level(model, level.lower(), "thinkingLevel") == level.lower()  # proto enums: any case
        else:
            with pytest.raises(Refused, match=f"allowed: {', '.join(levels)}"):
                check_level(model, level, "thinkingLevel")


def test_unlisted_gemini3_levels_and_budgets_are_left_to_google():
    assert check_level("gemini-3.5-flash", "MEDIUM", "thinkingLevel") == "MEDIUM"
    assert check_level("gemini-3.5-pro", "MEDIUM", "thinkingLevel") == "MEDIUM"
    assert check_budget("gemini-3-flash-preview", 50, "thinkingBudget") == 50  # 3.x ranges are not documented
    with pytest.raises(Refused, match="cannot be turned off"):
        check_budget("gemini-3-pro-preview", 0, "thinkingBudget")
    with pytest.raises(Refused):
        check_level("gemini-3.5-flash", "EXTREME", "thinkingLevel")


def test_levels_on_budget_models_and_anything_on_non_thinking_models_are_refused():
    with pytest.raises(Refused, match="use thinkingBudget: 0 \\(off\\), 1..24576"):
        check_level("gemini-2.5-flash", "LOW", "thinkingLevel")
    for model in ("gemini-2.0-flash", "gemini-2.5-flash-image", "gemini-2.5-flash-preview-tts"):
        assert not capabilities(model).thinks
        with pytest.raises(Refused, match="does not support thinking"):
            check_budget(model, 1024, "thinkingBudget")
        with pytest.raises(Refused, match="does not support thinking"):
            check_level(model, "LOW", "thinkingLevel")
        assert check_budget(model, 0, "thinkingBudget") == 0


def test_thinking_config_both_budget_and_level_is_refused():
    with pytest.raises(Refused, match="only one of thinkingBudget and thinkingLevel") as err:
        check_thinking_config("gemini-3-flash-preview", {"thinkingBudget": 1024, "thinkingLevel": "HIGH"})
    assert err.value.param == "generationConfig.thinkingConfig"
    with pytest.raises(Refused) as err:
        check_thinking_config("gemini-2.5-pro", {"thinkingBudget": 50})
    assert err.value.param == "generationConfig.thinkingConfig.thinkingBudget"
    with pytest.raises(Refused):
        check_thinking_config("gemini-2.0-flash", {"includeThoughts": True})
    check_thinking_config("gemini-2.0-flash", {"includeThoughts": False, "thinkingBudget": 0})


@pytest.mark.parametrize("model, limit", [
    ("gemini-2.5-pro", 65536), ("gemini-2.5-flash", 65536), ("gemini-2.5-flash-lite", 65536),
    ("gemini-3-pro-preview", 65536), ("gemini-3-flash-preview", 65536), ("gemini-2.0-flash", 8192),
])
def test_output_token_limits(model, limit):
    assert capabilities(model).output_token_limit == limit


def test_gemini3_image_model_still_thinks_and_2_0_thinking_exp_has_no_checked_range():
    assert capabilities("gemini-3-pro-image-preview").thinks
    assert capabilities("gemini-2.0-flash-thinking-exp").budget is None


# -- apply_model_spec: the one place every dialect passes --------------------------------------------

def spec(model: str, thinking: ThinkingRequest | None = None) -> ModelSpec:
    return ModelSpec(model, model, None, thinking)


def test_apply_model_spec_checks_a_native_thinking_config():
    request = {"generationConfig": {"thinkingConfig": {"thinkingBudget": 50}}}
    apply_model_spec(request, spec("gemini-2.5-flash"))
    assert request["generationConfig"]["thinkingConfig"] == {"thinkingBudget": 50}
    with pytest.raises(GatewayError) as err:
        apply_model_spec({"generationConfig": {"thinkingConfig": {"thinkingBudget": 50}}}, spec("gemini-2.5-pro"))
    assert err.value.status == 400 and err.value.param == "generationConfig.thinkingConfig.thinkingBudget"
    assert "allowed: 128..32768 or -1 (dynamic)" in err.value.message


def test_apply_model_spec_refuses_an_openai_budget_out_of_range():
    asked = ThinkingRequest(budget=50, param="google.thinking_config.thinking_budget")
    with pytest.raises(GatewayError) as err:
        apply_model_spec({}, spec("gemini-2.5-pro"), asked)
    assert err.value.param == "google.thinking_config.thinking_budget"
    request: dict = {}
    apply_model_spec(request, spec("gemini-2.5-flash"), asked)
    assert request["generationConfig"]["thinkingConfig"]["thinkingBudget"] == 50


def test_apply_model_spec_suffix_effort_overrides_and_maps():
    request = {"generationConfig": {"thinkingConfig": {"thinkingBudget": 50}}}
    apply_model_spec(request, spec("gemini-2.5-pro", ThinkingRequest(effort="none")))
    assert request["generationConfig"]["thinkingConfig"] == {"includeThoughts": False, "thinkingBudget": 128}


def test_apply_model_spec_brings_max_output_tokens_to_the_models_limit():
    limited = ModelSpec("m", "gemini-2.5-flash", None, None, output_token_limit=65536)
    request = {"generationConfig": {"maxOutputTokens": 100000}}
    notes = apply_model_spec(request, limited)
    assert request["generationConfig"]["maxOutputTokens"] == 65536
    assert notes == ("maxOutputTokens=65536 (asked 100000: the output token limit of gemini-2.5-flash)",)
    for kept in (65536, 1):
        request = {"generationConfig": {"maxOutputTokens": kept}}
        assert apply_model_spec(request, limited) == () and request["generationConfig"]["maxOutputTokens"] == kept
    assert apply_model_spec({"generationConfig": {"maxOutputTokens": 10**9}}, spec("unknown-model")) == ()


def test_the_served_models_output_token_limit_wins_over_the_table():
    from gemgate.catalog import Catalog

    catalog = Catalog()
    catalog.replace({"gemini-api": {"gemini-2.5-flash": {"name": "models/gemini-2.5-flash", "outputTokenLimit": 1000},
                                   "gemini-2.0-flash": {"name": "models/gemini-2.0-flash"},
                                   "gemini-embedding-001": {"name": "models/gemini-embedding-001", "outputTokenLimit": 1}}})
    assert catalog.resolve("gemini-2.5-flash-high").output_token_limit == 1000
    assert catalog.resolve("gemini-2.0-flash").output_token_limit == 8192  # the table's row
    assert catalog.resolve("gemini-embedding-001").output_token_limit is None


def test_antigravity_agent_ids_are_gemini_3_families():
    from gemgate.gemini.thinking import needs_signatures

    assert capabilities("gemini-pro-agent").family == "3-pro" and needs_signatures("gemini-pro-agent")
    assert capabilities("gemini-3-flash-agent").family == "3-flash" and needs_signatures("gemini-3-flash-agent")
    assert capabilities("gemini-3.6-flash-high").family == "3-flash"

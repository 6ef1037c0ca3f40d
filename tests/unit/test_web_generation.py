"""What gemini-web accounts make of thinking requests and generation settings (upstreams/web/generation.py), and
when a usage limit ends (upstreams/web/usage.py)."""

from __future__ import annotations

import pytest

from gemgate.errors import UpstreamError
from gemgate.gemini.thinking import ThinkingRequest
from gemgate.upstreams.web import generation, usage
from gemgate.upstreams.web.answer import Unusable
from gemgate.upstreams.web.models import EXTENDED, STANDARD


@pytest.mark.parametrize("asked,default,mode,shown,note", [
    (None, STANDARD, STANDARD, True, None),
    (None, EXTENDED, EXTENDED, True, None),
    (ThinkingRequest(effort="auto"), EXTENDED, EXTENDED, True, None),
    (ThinkingRequest(effort="high"), STANDARD, EXTENDED, True, "thinking=extended (asked effort high"),
    (ThinkingRequest(effort="low"), EXTENDED, STANDARD, True, "thinking=standard (asked effort low"),
    (ThinkingRequest(effort="none"), EXTENDED, STANDARD, False, "thoughts hidden"),
    (ThinkingRequest(budget=8192, param="thinking.budget_tokens"), STANDARD, STANDARD, True, "thinking.budget_tokens=8192"),
    (ThinkingRequest(budget=8193), STANDARD, EXTENDED, True, "thinkingBudget=8193"),
    (ThinkingRequest(budget=-1), EXTENDED, EXTENDED, True, None),
    (ThinkingRequest(budget=0), STANDARD, STANDARD, False, "thoughts hidden"),
    (ThinkingRequest(level="HIGH"), STANDARD, EXTENDED, True, "thinkingLevel=HIGH"),
    (ThinkingRequest(level="MINIMAL"), EXTENDED, STANDARD, True, "thinkingLevel=MINIMAL"),
    (ThinkingRequest(effort="high", include_thoughts=False), STANDARD, EXTENDED, False, "thinking=extended"),
    (ThinkingRequest(adaptive=True), STANDARD, STANDARD, True, None),
])
def test_thinking_maps_onto_standard_or_extended(asked, default, mode, shown, note):
    request: dict = {}
    notes = generation.adjust(request, asked, default)
    assert generation.thinking_of(request, default) == (mode, shown)
    assert (note in notes[0]) if note else not notes


def test_a_native_thinking_config_is_read_as_asked():
    request = {"generationConfig": {"thinkingConfig": {"thinkingBudget": 20000, "includeThoughts": True}}}
    (note,) = generation.adjust(request, None, STANDARD)
    assert "thinkingConfig.thinkingBudget=20000" in note and generation.thinking_of(request, STANDARD) == (EXTENDED, True)


@pytest.mark.parametrize("config,words", [
    ({"responseLogprobs": True}, "log probabilities"), ({"candidateCount": 3}, "one candidate"),
    ({"responseModalities": ["TEXT", "IMAGE"]}, "answer in text"), ({"responseMimeType": "text/x.enum"}, "text or JSON"),
    ({"speechConfig": {"voiceConfig": {}}}, "text only"),
])
def test_settings_the_web_app_cannot_honour_are_refused_for_another_kind_to_take(config, words):
    with pytest.raises(UpstreamError) as exc:
        generation.settings_notes({"generationConfig": config})
    assert words in exc.value.message and exc.value.status == 400 and exc.value.retryable


def test_ignored_settings_and_json_mode_are_said():
    notes = generation.settings_notes({"generationConfig": {"temperature": 0, "topK": 3, "candidateCount": 1,
                                                            "responseMimeType": "application/json"},
                                       "safetySettings": [{"category": "x"}]})
    assert [n.split(" ", 1)[0] for n in notes] == ["temperature", "topK", "responseMimeType=application/json",
                                                   "safetySettings"]
    assert generation.settings_notes({"generationConfig": {"responseLogprobs": False, "candidateCount": 1}}) == []
    assert generation.json_mode({"generationConfig": {"responseMimeType": "application/json",
                                                      "responseSchema": {"type": "STRING"}}}).endswith('{"type":"STRING"}')


def test_usage_limit_reset_is_the_latest_exhausted_window():
    assert usage.limit_reset([1, [[0, 1.0, 1, [[1000, 0]]], [0, 1.0, 2, [[5000, 0]]], [3, 0.1, 1, [[9000, 0]]]]]) == 5000
    assert usage.limit_reset([1, [[2, 0.5, 1, [[1000, 0]]], [0, None, 3]]]) is None
    assert usage.limit_reset([1, [[None, 1.0, 1, [[700, 5]]]]]) == 700
    assert usage.limit_reset(None) is None and usage.limit_reset([1, "x"]) is None


@pytest.mark.parametrize("text,value", [
    ('{"a": 1}', '{"a": 1}'), ('  ```json\n{"a": [1, 2]}\n```\n', '{"a": [1, 2]}'), ("```\n[1]\n```", "[1]"),
    ('"plain"', '"plain"'), ("Here you go: {\"a\": 1}", None), ("```json\n{broken\n```", None), ("", None),
])
def test_json_text_takes_a_fence_off_and_refuses_prose(text, value):
    assert generation.json_text(text) == value


def test_json_answer_is_held_then_sent_whole_or_retried():
    def chunk(text, finish=None):
        cand = {"index": 0, "content": {"role": "model", "parts": [{"text": text}]}}
        return {"candidates": [{**cand, "finishReason": finish} if finish else cand]}

    answer = generation.JsonAnswer("web", strict=True)
    assert answer.chunk(chunk("```json\n{\"a\"")) is None
    done = answer.chunk(chunk(": 1}\n```", "STOP"))
    assert done["candidates"][0]["content"]["parts"] == [{"text": '{"a": 1}'}]
    with pytest.raises(Unusable):
        generation.JsonAnswer("web", strict=True).chunk(chunk("no json here", "STOP"))
    lenient = generation.JsonAnswer("web", strict=False).chunk(chunk("no json here", "STOP"))
    assert lenient["candidates"][0]["content"]["parts"] == [{"text": "no json here"}]

"""The fake's gem RPCs (testing/web_gems) hold to §6.5's payloads: lists by kind, create/update records of 15/16
slots, predefined gems neither changed nor deleted."""

from __future__ import annotations

import pytest

from gemgate.testing.web_gems import Refused, answer, predefined

RECORD = ["Poet", "verse", "Answer in verse.", None, None, None, None, None, 0, None, 1, None, None, None, []]


def test_lists_system_hidden_and_custom_gems():
    gems = predefined()
    new_id = answer("oMH3Zd", [RECORD], gems)[0]
    assert [g[0] for g in answer("CNgdBe", [3, ["en"], 0], gems)[2]] == ["coding-partner", "brainstormer"]
    assert "storybook" in [g[0] for g in answer("CNgdBe", [4, ["en"], 0], gems)[2]]
    assert answer("CNgdBe", [2, ["en"], 0], gems)[2] == [[new_id, ["Poet", "verse"], ["Answer in verse."]]]
    answer("kHv0Vd", [new_id, [*RECORD[:2], "Haiku.", *RECORD[3:], 0]], gems)
    assert gems[new_id].prompt == "Haiku."
    assert answer("UXcSJb", [new_id], gems) == [] and new_id not in gems


@pytest.mark.parametrize("rpc, payload", [
    ("CNgdBe", [5, ["en"], 0]), ("CNgdBe", [3, "en", 0]), ("oMH3Zd", [RECORD[:-1]]), ("oMH3Zd", RECORD),
    ("kHv0Vd", ["x", RECORD]), ("UXcSJb", [1]),
])
def test_payloads_unlike_the_reference_are_refused(rpc, payload):
    with pytest.raises(Refused):
        answer(rpc, payload, predefined())


def test_predefined_gems_cannot_change():
    with pytest.raises(KeyError):
        answer("UXcSJb", ["coding-partner"], predefined())
    with pytest.raises(KeyError):
        answer("kHv0Vd", ["coding-partner", [*RECORD, 0]], predefined())

"""The fake's chat and usage RPCs (testing/web_history) against the recorded answers and the reference's payloads:
rows and turns shaped as list_chats_basic.txt and read_chat_basic.txt, and payloads not shaped as §6.6/§6.7
give them refused."""

from __future__ import annotations

import json

import pytest

from gemgate.testing.web_history import Chat, Refused, Turn, Usage, answer
from tests.support.fixtures import web_capture

LIST = "Leechael__gemini-web-cli__internal_client_protocol_testdata_list_chats_basic.txt"
READ = "Leechael__gemini-web-cli__internal_client_protocol_testdata_read_chat_basic.txt"


def recorded(name: str) -> object:
    body = web_capture(name)
    part = json.loads(body[len(")]}'"):].lstrip("\n").partition("\n")[2])[0]
    return json.loads(part[2])


def shape(value: object) -> object:
    """Types at every position (lists walked), so two answers compare by layout, not content."""
    if isinstance(value, list):
        return [shape(v) for v in value]
    return type(value).__name__


def chats() -> dict[str, Chat]:
    chat = Chat("c_1", "Sample chat title")
    chat.turns = [Turn("r_1", "Sample user prompt", "rcid_1", "Sample assistant response.", 1700000000),
                  Turn("r_2", "Second sample user prompt", "rcid_2", "Second sample assistant response.", 1700000100)]
    return {"c_1": chat}


def test_list_and_read_answers_are_shaped_as_the_recorded_ones():
    listed = answer("MaZiqc", [13, None, [0, None, 1]], chats(), Usage(), "/app")
    assert shape(listed[2][0]) == shape(recorded(LIST)[2][0]) and listed[1] == "next_cursor"
    read = answer("hNvQHb", ["c_1", 10, None, 1, [1], [4], None, 1], chats(), Usage(), "/app")
    assert shape(read) == shape(recorded(READ))
    assert read[0][0][2][0][0] == "Second sample user prompt"  # newest first, as recorded
    assert answer("MaZiqc", [13, None, [1, None, 1]], chats(), Usage(), "/app") == [None, None, []]  # none pinned


def test_delete_removes_and_an_unknown_chat_is_a_key_error():
    kept = chats()
    assert answer("GzXR5e", ["c_1"], kept, Usage(), "/app") == [] and kept == {}
    with pytest.raises(KeyError):
        answer("hNvQHb", ["c_9", 10, None, 1, [1], [4], None, 1], kept, Usage(), "/app")


@pytest.mark.parametrize("rpc, payload, source", [
    ("MaZiqc", [13, None, [2, None, 1]], "/app"), ("MaZiqc", [], "/app"),
    ("hNvQHb", ["c_1", 10], "/app"), ("hNvQHb", ["c_1", "10", None, 1, [1], [4], None, 1], "/app"),
    ("GzXR5e", ["c_1", 1], "/app"), ("qWymEb", ["c_1", [1, None, 1, 1]], "/app"), ("jSf9Qc", [], "/app"),
])
def test_payloads_unlike_the_reference_are_refused(rpc, payload, source):
    with pytest.raises(Refused):
        answer(rpc, payload, chats(), Usage(), source)


def test_usage_is_tier_items_and_overage():
    tier, items, overage = answer("jSf9Qc", [], {}, Usage(), "/usage")
    assert tier == 1 and overage is False
    assert [(i[2], len(i[3][0])) for i in items] == [(1, 2), (2, 2)]  # kind, [[reset_s, nanos]]


def test_the_research_plan_is_shaped_as_the_recorded_one():
    from gemgate.testing.web_research import plan_rich

    body = web_capture("Leechael__gemini-web-cli__internal_client_testdata_stream_research_step1_response.json")
    recorded_rich = None
    for line in body.split("\n"):  # each frame's JSON is one line in this capture (§3.5)
        if not line.startswith("[["):
            continue
        for part in json.loads(line):
            payload = json.loads(part[2]) if part[0] == "wrb.fr" and len(part) > 2 and part[2] else None
            if isinstance(payload, list) and len(payload) > 4 and payload[4] and payload[4][0][12]:
                recorded_rich = payload[4][0][12]
    ours = plan_rich("topic")
    assert shape(ours[:8]) == shape(recorded_rich[:8]) and set(ours[8]) <= set(recorded_rich[8])
    assert shape(ours[8]["56"]) == shape(recorded_rich[8]["56"])

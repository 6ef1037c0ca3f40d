"""Every capture in ../shared/fixtures/gemini-web through gemgate's own parsers (framing, the wrb.fr parts, the
StreamGenerate snapshots, the model catalogue, the bridge's chat list and chat reading), asserting what each
yields: text, thoughts, ids, the RPC it answers. A capture added to the directory fails `test_each_capture_is_checked`
until it has a check here (issue 9: "the parser against every capture")."""

from __future__ import annotations

import json

import pytest

from gemgate.upstreams.web.bridge.account import conversations_of, turns_of
from gemgate.upstreams.web.framing import read_frames
from gemgate.upstreams.web.models import parse_catalogue
from gemgate.upstreams.web.payload import payload_of, wrb_parts
from gemgate.upstreams.web.settings import GeminiWebSettings
from gemgate.upstreams.web.snapshots import Snapshots
from gemgate.upstreams.web.research import plan_of
from tests.support.fixtures import fixtures_dir, web_capture

LEECHAEL = "Leechael__gemini-web-cli__internal_client_"


def _rpc(name: str, rpc: str) -> object:
    """The payload of the one wrb.fr part of a batchexecute capture, which answers `rpc`."""
    parts = [p for frame in read_frames(web_capture(name)) for p in wrb_parts(frame)]
    assert [p[1] for p in parts] == [rpc], name
    return payload_of(parts[0])


def _stream(frames: list) -> tuple[Snapshots, str, str]:
    """The snapshots after every frame, the answer's text and its thoughts."""
    snaps = Snapshots("web", GeminiWebSettings())
    chunks = [c for frame in frames for c in snaps.feed(frame)]
    parts = [p for c in chunks for p in c["candidates"][0].get("content", {}).get("parts", [])]
    return (snaps, "".join(p.get("text", "") for p in parts if not p.get("thought")),
            "".join(p.get("text", "") for p in parts if p.get("thought")))


def stream_basic(name: str) -> None:
    snaps, text, thoughts = _stream(read_frames(web_capture(name)))
    assert text == "Sample assistant response." and thoughts == ""
    assert (snaps.cid, snaps.rid, snaps.rcid) == ("c_000000000000001", "r_000000000000001", "rcid_000000000000001")
    assert snaps.context == "completion_context_000000000000001"


def stream_research(name: str) -> None:
    frames = read_frames(web_capture(name))
    assert len(frames) >= 10  # multi-frame: metadata, title, candidates, completion, trailers
    snaps, text, thoughts = _stream(frames)
    assert text.startswith("这是我拟定的方案") and thoughts.startswith("***生成研究计划***")
    assert (snaps.cid, snaps.rid, snaps.rcid) == ("c_0000000000000000", "r_0000000000000000", "rc_0000000000000000")
    assert plan_of(snaps.last.plan)["steps"]  # the research plan's steps


def pretty_frame(name: str) -> None:
    snaps, text, thoughts = _stream([[json.loads(web_capture(name))]])
    assert text.startswith("The total impulse exerted by the conveyor belt on the block is **0 N·s**.")
    assert thoughts.startswith("**Defining the Objective**") and len(thoughts) > 4000
    assert (snaps.cid, snaps.rcid) == ("c_796974d7a2f68f7a", "rc_c7b399c48bb264a3")


def models(name: str) -> None:
    catalogue = parse_catalogue(json.loads(web_capture(name)))
    assert [(r.id, r.slug, r.mode) for r in catalogue.rows] == [
        ("8c46e95b1a07cecc", "flash-lite", 6), ("56fdd199312815e2", "flash", 1), ("e6fa609c3fa255c0", "pro", 3)]


def user_status(name: str) -> None:
    catalogue = parse_catalogue(_rpc(name, "otAQ7b"))
    assert catalogue.available and [(r.id, r.display) for r in catalogue.rows] == [("fbb127bbb056c959", "Gemini 3 Flash")]
    assert catalogue.capacity == 2  # otAQ7b[17] = [19], the Pro capability flag


def list_chats(name: str) -> None:
    assert conversations_of(_rpc(name, "MaZiqc"), False) == [
        {"id": "c_000000000000001", "title": "Sample chat title", "pinned": False, "updatedAt": "2023-11-14T22:13:20Z"},
        {"id": "c_000000000000002", "title": "Another sample chat title", "pinned": False,
         "updatedAt": "2023-11-14T22:15:00Z"}]


def list_chats_real(name: str) -> None:
    listed = conversations_of(_rpc(name, "MaZiqc"), True)
    assert len(listed) == 13 and all(c["id"].startswith("c_") and c["title"] for c in listed)
    assert listed[0]["title"] == "渐冻症研究与家属指南" and listed[0]["updatedAt"] == "2026-03-12T15:21:25Z"


def read_chat(name: str) -> None:
    assert [(t["responseId"], t["prompt"], t["choiceId"], t["text"]) for t in turns_of(_rpc(name, "hNvQHb"))] == [
        ("r_000000000000001", "Sample user prompt", "rcid_000000000000001", "Sample assistant response."),
        ("r_000000000000002", "Second sample user prompt", "rcid_000000000000002", "Second sample assistant response.")]


def rpc_only(rpc: str, check):
    """A capture of an RPC gemgate does not call: framed and found as `rpc`, its payload passing `check`."""
    def run(name: str) -> None:
        assert check(_rpc(name, rpc)), name
    return run


CHECKS = {
    LEECHAEL + "protocol_testdata_stream_generate_basic_response.txt": stream_basic,
    LEECHAEL + "testdata_stream_research_step1_response.json": stream_research,
    "HanaokaYuzu__Gemini-API__a.json": pretty_frame,
    "Mag1cFall__Gemini-Web2API__internal_gemini_testdata_otAQ7b-models.json": models,
    LEECHAEL + "protocol_testdata_get_user_status_basic.txt": user_status,
    LEECHAEL + "protocol_testdata_list_chats_basic.txt": list_chats,
    LEECHAEL + "testdata_batch_list_chats_response.json": list_chats_real,
    LEECHAEL + "protocol_testdata_read_chat_basic.txt": read_chat,
    LEECHAEL + "protocol_testdata_mark_chat_read_basic.txt": rpc_only("k81mDb", lambda p: p == []),
    LEECHAEL + "protocol_testdata_get_upload_limits_basic.txt": rpc_only("mhs1xe", lambda p: p == [[[[500, 300, 500000]]]]),
    # nested one bracket deeper: [[["wrb.fr", …]]]
    LEECHAEL + "protocol_testdata_get_user_profile_basic.txt": rpc_only("o30O0e", lambda p: p[0][0][0] == "me"),
    LEECHAEL + "protocol_testdata_list_enabled_tools_basic.txt": rpc_only("cYRIkd", lambda p: p[0][0][0] == ["academic_search"]),
    LEECHAEL + "protocol_testdata_list_feature_flags_basic.txt": rpc_only("MyzX6c", lambda p: len(p[1]) == 28),
    LEECHAEL + "protocol_testdata_research_list_reports_basic.txt": rpc_only(
        "jGArJ", lambda p: [r[0][0] for r in p[0]] == ["c_000000000000001", "c_000000000000002"]),
}


def test_each_capture_is_checked():
    web = fixtures_dir() / "gemini-web"
    if not web.is_dir():
        pytest.skip(f"no gemini-web captures in {web}")
    assert sorted(p.name for p in web.iterdir() if p.is_file()) == sorted(CHECKS)


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_capture(name):
    CHECKS[name](name)

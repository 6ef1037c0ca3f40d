"""Responses `background: true` over real HTTP: answered at once as queued, polled by GET, cancelled, failures
kept, bounded per client key, lost runs marked failed after a restart, one outcome per run."""

from __future__ import annotations

import time

import pytest

from gemgate import background
from tests.support.gateway import GatewayThread
from tests.support.http import get, post

ASK = {"model": "gemini-2.5-flash", "background": True}


def responses(gw, body, **kw):
    return post(f"{gw.url}/v1/responses", body, key=gw.key, **kw)


def poll(gw, rid: str, until=("completed", "failed", "incomplete", "cancelled"), seconds: float = 15) -> dict:
    deadline = time.monotonic() + seconds
    while True:
        got = get(f"{gw.url}/v1/responses/{rid}", key=gw.key)
        assert got.status == 200, got.text
        if got.json()["status"] in until or time.monotonic() > deadline:
            return got.json()
        time.sleep(0.1)


def test_background_answers_at_once_and_is_polled(make_gateway):
    gw = make_gateway()
    seen = []
    gw.gateway.outcomes.hooks.append(seen.append)
    started = time.monotonic()
    r = responses(gw, {**ASK, "input": "one two three bg-1\nSLOW 1.5"})
    assert r.status == 200, r.text
    assert time.monotonic() - started < 1.2  # before the model's answer
    queued = r.json()
    assert queued["status"] == "queued" and queued["background"] is True and queued["output"] == []
    assert poll(gw, queued["id"], until=("in_progress",))["status"] == "in_progress"
    done = poll(gw, queued["id"])
    assert done["status"] == "completed" and done["background"] is True
    assert done["output"][0]["content"][0]["text"].startswith("echo: one two three bg-1")
    assert [(o.operation, o.status) for o in seen if o.operation != "get"] == [("background", 200)]


@pytest.mark.parametrize(("extra", "param"), [({"store": False}, "background"), ({"stream": True}, "stream")])
def test_background_needs_store_and_no_stream(gw, extra, param):
    r = responses(gw, {**ASK, **extra, "input": "x"})
    assert r.status == 400 and r.json()["error"]["param"] == param, r.text


def test_cancel(gw):
    rid = responses(gw, {**ASK, "input": "cancel me bg-2\nSLOW 1.5"}).json()["id"]
    r = post(f"{gw.url}/v1/responses/{rid}/cancel", None, key=gw.key)
    assert r.status == 200 and r.json()["status"] == "cancelled", r.text
    assert post(f"{gw.url}/v1/responses/{rid}/cancel", None, key=gw.key).json()["status"] == "cancelled"
    time.sleep(2)  # the answer would have come by now: the run was stopped, nothing overwrites the cancel
    assert get(f"{gw.url}/v1/responses/{rid}", key=gw.key).json()["status"] == "cancelled"
    done = responses(gw, {"model": "gemini-2.5-flash", "input": "not background"}).json()["id"]
    r = post(f"{gw.url}/v1/responses/{done}/cancel", None, key=gw.key)
    assert r.status == 400 and "background" in r.json()["error"]["message"]
    finished = responses(gw, {**ASK, "input": "quick bg-3"}).json()["id"]
    poll(gw, finished)
    r = post(f"{gw.url}/v1/responses/{finished}/cancel", None, key=gw.key)
    assert r.status == 400 and "completed" in r.json()["error"]["message"]
    assert post(f"{gw.url}/v1/responses/resp_nope/cancel", None, key=gw.key).status == 404


def test_failure_is_kept_as_failed(gw):
    rid = responses(gw, {**ASK, "input": "x bg-4\nFAIL 400"}).json()["id"]
    failed = poll(gw, rid)
    assert failed["status"] == "failed" and failed["error"]["code"] == "invalid_prompt" and failed["error"]["message"]


def test_runs_are_bounded_per_key(make_gateway, monkeypatch):
    monkeypatch.setattr(background, "PER_OWNER", 1)
    gw = make_gateway()
    first = responses(gw, {**ASK, "input": "long bg-5\nSLOW 1.5"})
    assert first.status == 200
    second = responses(gw, {**ASK, "input": "another bg-6"})
    assert second.status == 429 and "background" in second.json()["error"]["message"], second.text
    poll(gw, first.json()["id"])
    assert responses(gw, {**ASK, "input": "now bg-7"}).status == 200


@pytest.mark.parametrize("crash", [False, True])
def test_a_run_does_not_survive_a_restart(make_gateway, fake_api, monkeypatch, crash):
    """Nothing survives a restart. A stopping gateway keeps its runs failed at once; after a crash (its stop never
    ran) the run's heartbeat stops, and after STALE_BEATS beats a reader marks it failed. Both say why."""
    monkeypatch.setattr(background, "BEAT_SECONDS", 0.2 if crash else 5)
    if crash:
        async def never(self, grace=10.0):
            return None

        monkeypatch.setattr(background.BackgroundRuns, "stop", never)
    gw = make_gateway()
    rid = responses(gw, {**ASK, "input": "lost bg-8\nSLOW 30"}).json()["id"]
    assert poll(gw, rid, until=("in_progress",))["status"] == "in_progress"
    time.sleep(0.5)
    assert get(f"{gw.url}/v1/responses/{rid}", key=gw.key).json()["status"] == "in_progress"  # beating
    gw.stop()
    again = GatewayThread(gw.settings.data_dir, fake_api.url, gw.api_keys).start()
    try:
        time.sleep(0.8 if crash else 0)
        lost = get(f"{again.url}/v1/responses/{rid}", key=again.key).json()
        assert lost["status"] == "failed" and lost["error"]["code"] == "server_error"
        said = "instance running this background response stopped" if crash else "gateway stopped before"
        assert said in lost["error"]["message"] and "create the response again" in lost["error"]["message"]
    finally:
        again.stop()

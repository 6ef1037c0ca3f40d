"""An account whose Code Assist onboarding never finishes, next to a healthy one (break8b fault 1): requests go
to the healthy account without waiting the polls out, the stuck account cools with a reason `accounts list`
shows, and however many requests come, one onboarding runs (single-flight), in the background."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support.code_assist import CodeAssistGateway, running_fakes
from tests.support.gateway import chat

MODEL = "gemini-3-flash"
STUCK, HEALTHY = "stuck@example.com", "healthy@example.com"


@pytest.fixture(scope="module")
def fakes():
    with running_fakes() as running:
        yield running


def ask(gw):
    return chat(gw, {"model": MODEL, "messages": [{"role": "user", "content": "hi"}]})


def test_a_stuck_onboarding_cools_the_account_and_requests_go_elsewhere(fakes, tmp_path):
    fakes.ca.account(STUCK, tier="free-tier", project=None, onboard_polls=10**9)
    fakes.ca.account(HEALTHY, tier="g1-pro-tier")
    # Polls that would last 10 x 1.5 s: a request waiting them out takes 15 s; the default wait is 5 s.
    section = {**fakes.section(), "onboard_poll_seconds": 1.5, "onboard_polls": 10}
    secrets = {"a-stuck": fakes.credential(STUCK, fresh=False, with_project=False),
               "b-healthy": fakes.credential(HEALTHY)}
    gw = CodeAssistGateway(tmp_path / "gw", fakes, secrets, upstreams={"code_assist": section}).start()
    try:
        started = time.monotonic()
        with ThreadPoolExecutor(6) as pool:
            answers = list(pool.map(lambda _: ask(gw), range(6)))
        answers += [ask(gw) for _ in range(4)]
        took = time.monotonic() - started
        assert [r.status for r in answers] == [200] * 10, [r.text for r in answers if r.status != 200]
        assert took < 14, took  # one wait of 5 s, not 15 s per request (a generous bound on a loaded machine)
        assert len(fakes.ca.requests_for("onboardUser", STUCK)) == 1  # one onboarding for all of them
        view = gw.wait_state("a-stuck", "cooling")
        assert "onboarding not finished" in view.reason
        assert gw.accounts()["b-healthy"].state == "ok"
    finally:
        gw.stop()

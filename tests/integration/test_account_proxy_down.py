"""An account whose own proxy is down, next to a healthy account (break8b, the kind of fault 1: a failure that is
the account's, booked as passing trouble of the service, so nothing was booked and every request tried the
account first): it cools, saying its proxy cannot be used, and requests go to the other account."""

from __future__ import annotations

from tests.support.gateway import API_KEYS, GatewayThread, chat, free_port


class ProxiedGateway(GatewayThread):
    """Two Gemini API accounts: "a-proxied" through a proxy nobody listens on, "b-direct" without one."""

    def _seed(self) -> None:
        self.add_accounts("gemini-api", {"a-proxied": {"api_key": API_KEYS[0]}, "b-direct": {"api_key": API_KEYS[1]}},
                          {"a-proxied": f"http://127.0.0.1:{free_port()}"})


def test_an_account_whose_proxy_is_down_cools_and_requests_go_elsewhere(fake_api, tmp_path):
    with ProxiedGateway(tmp_path, fake_api.url, []) as gw:
        before = len(fake_api.requests_for(key=API_KEYS[1]))
        replies = [chat(gw, {"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": f"hi {i}"}]})
                   for i in range(6)]
        assert [r.status for r in replies] == [200] * 6, [r.text for r in replies]
        view = gw.wait_state("a-proxied", "cooling")
        assert "proxy cannot be used" in view.reason
        assert gw.accounts()["a-proxied"].errors == 1  # tried once, then passed over while it cools
        assert len(fake_api.requests_for(key=API_KEYS[1])) - before == 6

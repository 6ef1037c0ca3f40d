"""Gems named in the model (`gemini-web/flash@gem=<id>`) from every dialect, and requests for a model the web
accounts' tier lacks (a 404 naming what they have, or with `downgrade` the best model they have, said in
X-Gemgate-Adjusted and the response's `model`), end to end against the fake gemini.google.com (issue 9)."""

from __future__ import annotations

import pytest

from tests.support.gateway import API_KEYS, GatewayThread, chat
from tests.support.http import post
from tests.support.web import WebGateway, cookie, psid, web_fake  # noqa: F401 - the `fake` fixture

SYSTEM = "Answer like a pirate."


class MixedGateway(WebGateway):
    """Web accounts and a Gemini API key account (at the fake Gemini API)."""

    def _seed(self) -> None:
        super()._seed()
        self.api_keys = API_KEYS[:1]
        GatewayThread._seed(self)


@pytest.fixture
def make(fake, tmp_path):
    started: list[WebGateway] = []

    def start(tags: dict[str, tuple[str, ...]], api_url: str | None = None, **kw) -> WebGateway:
        for tag, models in tags.items():
            fake.account(psid(tag), models=models)
        secrets = {f"web-{tag}": {"cookie": cookie(tag)} for tag in tags}
        if api_url:
            gw = MixedGateway(tmp_path / f"gw{len(started)}", fake.url, secrets, api_url=api_url, **kw)
        else:
            gw = WebGateway(tmp_path / f"gw{len(started)}", fake.url, secrets, **kw)
        started.append(gw.start())
        return gw

    yield start
    for gw in started:
        gw.stop()


def _openai(gw, model):
    return chat(gw, {"model": model, "messages": [{"role": "system", "content": SYSTEM},
                                                  {"role": "user", "content": "hello"}]})


def _anthropic(gw, model):
    return post(f"{gw.url}/v1/messages", {"model": model, "max_tokens": 100, "system": SYSTEM,
                                          "messages": [{"role": "user", "content": "hello"}]},
                key=gw.key, key_header="x-api-key")


def _responses(gw, model):
    return post(f"{gw.url}/v1/responses", {"model": model, "instructions": SYSTEM, "input": "hello"}, key=gw.key)


def _native(gw, model):
    return post(f"{gw.url}/v1beta/models/{model}:generateContent",
                {"systemInstruction": {"parts": [{"text": SYSTEM}]}, "contents": [{"role": "user", "parts": [{"text": "hello"}]}]},
                headers={"x-goog-api-key": gw.key})


DIALECTS = {"openai": _openai, "anthropic": _anthropic, "responses": _responses, "native": _native}


@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_gem_named_in_the_model_goes_in_inner_19_with_the_system_prompt_in_the_prompt(fake, make, dialect):
    gw = make({f"gem{dialect}": ("flash", "pro")})
    reply = DIALECTS[dialect](gw, "gemini-web/flash@gem=coding-partner")
    assert reply.status == 200, reply.text
    inner = fake.requests_to("StreamGenerate")[-1].extra["inner"]
    assert inner[19] == "coding-partner"
    assert SYSTEM in inner[0][0]  # the system prompt still goes in the prompt, beside the gem's own instructions
    plain = DIALECTS[dialect](gw, "gemini-web/flash")
    assert plain.status == 200 and fake.requests_to("StreamGenerate")[-1].extra["inner"][19] is None


@pytest.mark.parametrize("model, says", [
    ("gemini-api/gemini-2.5-flash@gem=coding-partner", "only gemini-web accounts have gems"),
    ("gemini-2.5-flash@gem=coding-partner", "only gemini-web accounts have gems"),
    ("gemini-web/flash@gem=no good", "gem id"),
])
def test_a_gem_for_another_kind_or_malformed_is_a_400(fake, make, fake_api, model, says):
    gw = make({"gemkinds": ("flash",)}, api_url=fake_api.url)
    before = len(fake.requests_to("StreamGenerate"))
    for call in (_openai, _anthropic):
        reply = call(gw, model)
        assert reply.status == 400, reply.text
        assert says in reply.text, reply.text
    assert len(fake.requests_to("StreamGenerate")) == before


@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_model_the_tier_lacks_is_a_404_naming_what_the_accounts_have(fake, make, dialect):
    gw = make({f"free{dialect}": ("flash", "flash-lite")})
    before = len(fake.requests_to("StreamGenerate"))
    reply = DIALECTS[dialect](gw, "gemini-web/pro")
    assert reply.status == 404, reply.text
    assert "gemini-web/pro" in reply.text and "gemini-web/flash" in reply.text and "gemini-web/flash-lite" in reply.text
    assert len(fake.requests_to("StreamGenerate")) == before  # never a silent downgrade


def test_another_account_with_the_tier_serves_it(fake, make):
    gw = make({"tierfree": ("flash",), "tierpro": ("flash", "pro")})
    for _ in range(3):
        reply = _openai(gw, "gemini-web/pro")
        assert reply.status == 200, reply.text
        assert fake.requests_to("StreamGenerate")[-1].model == "9d8ca3786ebdfbea"  # Pro's id (fake MODEL_ROWS)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_downgrade_serves_the_best_model_and_says_so(fake, make, dialect):
    gw = make({f"down{dialect}": ("flash-lite", "flash")}, web={"downgrade": True})
    reply = DIALECTS[dialect](gw, "gemini-web/pro")
    assert reply.status == 200, reply.text
    assert fake.requests_to("StreamGenerate")[-1].model == "fbb127bbb056c959"  # Flash, the best it has
    said = reply.headers.get("X-Gemgate-Adjusted") or ""
    assert "model=gemini-web/flash (asked gemini-web/pro" in said, said
    if dialect != "native":  # a Gemini answer's modelVersion is the upstream's: the header says it
        assert reply.json()["model"] == "gemini-web/flash"
    alias = _openai(gw, "gemini-3.1-pro@gem=brainstormer")  # an alias and a gem: both kept
    assert alias.status == 200, alias.text
    assert alias.json()["model"] == "gemini-web/flash@gem=brainstormer"
    assert fake.requests_to("StreamGenerate")[-1].extra["inner"][19] == "brainstormer"


def test_per_request_cookies_of_a_free_account_get_the_404_or_the_downgrade(fake, make):
    fake.account(psid("ownfree"), models=("flash", "flash-lite"))
    headers = {"x-gemini-psid": psid("ownfree")}
    body = {"model": "gemini-web/pro", "messages": [{"role": "user", "content": "hi"}]}
    strict = make({})
    refused = chat(strict, body, headers=headers)
    assert refused.status == 404 and "gemini-web/flash-lite" in refused.text, refused.text
    lenient = make({}, web={"downgrade": True})
    served = chat(lenient, body, headers=headers)
    assert served.status == 200, served.text
    assert served.json()["model"] == "gemini-web/flash"
    assert "upstreams.gemini_web.downgrade" in served.headers.get("X-Gemgate-Adjusted", "")

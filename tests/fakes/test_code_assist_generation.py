"""Fake Code Assist generation: envelopes of both profiles, streaming, countTokens, errors, signatures."""

from __future__ import annotations

import json

import pytest

from gemgate.testing import ANTIGRAVITY, GEMINI_CLI, SKIP_SIGNATURE_SENTINEL, ThoughtSigner
from tests.fakes.code_assist_support import Caller, ag_envelope, new_fakes
from tests.support.payloads import user
from tests.support.sse import parse_sse

TOOLS = [{"functionDeclarations": [{"name": "get_weather", "description": "Weather",
                                     "parametersJsonSchema": {"type": "object",
                                                              "properties": {"city": {"type": "string"}}}}]}]


@pytest.fixture(scope="module")
def fakes():
    oauth, ca = new_fakes()
    with oauth.running(), ca.running() as url:
        yield ca, url


@pytest.fixture
def ag(fakes) -> Caller:
    fakes[0].account("gen@example.com", quota={})
    return Caller(fakes[0], fakes[1], "gen@example.com")


@pytest.fixture
def cli(fakes) -> Caller:
    fakes[0].account("gen-std@example.com", tier="standard-tier")
    return Caller(fakes[0], fakes[1], "gen-std@example.com", GEMINI_CLI)


def text_of(events: list[dict]) -> str:
    return "".join(p.get("text", "") for e in events for c in e["response"].get("candidates", [])
                   for p in c.get("content", {}).get("parts", []) if not p.get("thought"))


# -- happy paths --------------------------------------------------------------------

def test_antigravity_stream_is_wrapped_sse(ag):
    reply = ag.rpc("streamGenerateContent", ag.envelope(text="tell me a story please"), query="?alt=sse")
    assert reply.status == 200 and reply.headers["Content-Type"] == "text/event-stream"
    events = parse_sse(reply.body, exact=True)
    assert len(events) >= 3 and len({e["traceId"] for e in events}) == 1
    assert text_of(events) == "echo: tell me a story please"
    last = events[-1]["response"]
    assert last["candidates"][0]["finishReason"] == "STOP" and last["modelVersion"] == "gemini-3-flash"
    assert last["usageMetadata"]["promptTokenCount"] == 5 and last["createTime"].endswith("Z")
    recorded = ag.ca.requests_for("streamGenerateContent", "gen@example.com")[-1]
    assert recorded.header("User-Agent").startswith("antigravity/hub/") and recorded.body["requestType"] == "agent"
    assert recorded.model == "gemini-3-flash" and recorded.extra["profile"] == "antigravity" and recorded.status == 200


def test_gemini_cli_snake_case_non_stream(cli):
    body = cli.envelope(text="hi there friend", generation_config={"thinking_config": {"include_thoughts": True,
                                                                                        "thinking_budget": 128}})
    reply = cli.rpc("generateContent", body)
    assert reply.status == 200, reply.body
    answer = reply.json()
    assert set(answer) == {"response", "traceId"}
    parts = answer["response"]["candidates"][0]["content"]["parts"]
    assert parts[0]["thought"] is True and "echo: hi there friend" in [p.get("text") for p in parts]
    assert answer["response"]["usageMetadata"]["thoughtsTokenCount"] > 0


def test_stream_without_alt_is_a_json_array(ag):
    reply = ag.rpc("streamGenerateContent", ag.envelope(text="one two three"))
    assert reply.status == 200 and reply.headers["Content-Type"].startswith("application/json")
    assert text_of(json.loads(reply.body)) == "echo: one two three"


def test_count_tokens_gemini_cli_shape(cli):
    body = {"request": {"model": "models/gemini-2.5-pro", "contents": [user("count these four words")]}}
    assert cli.rpc("countTokens", body).json() == {"totalTokens": 4}
    assert cli.rpc("countTokens", {"request": {"model": "models/nope", "contents": [user("x")]}}).status == 404


def test_count_tokens_antigravity_shape(ag):
    body = {"userAgent": "antigravity", "requestType": "agent", "requestId": "agent-1",
            "request": {"contents": [user("a b c")], "sessionId": "-1"}}
    assert ag.rpc("countTokens", body).json() == {"totalTokens": 3}


# -- envelope errors -----------------------------------------------------------------

def test_missing_project_is_400_as_captured(ag):
    error = ag.rpc("generateContent", ag_envelope(None)).json()["error"]
    assert error == {"code": 400, "message": "Invalid project resource name projects/", "status": "INVALID_ARGUMENT",
                     "details": [{"@type": "type.googleapis.com/google.rpc.BadRequest", "fieldViolations": [
                         {"field": "name", "description": "Invalid project resource name"}]}]}


def test_stream_errors_are_a_one_element_array(ag):
    reply = ag.rpc("streamGenerateContent", ag_envelope(None), query="?alt=sse")
    assert reply.status == 400 and reply.headers["Content-Type"].startswith("application/json")
    body = reply.json()
    assert isinstance(body, list) and len(body) == 1 and body[0]["error"]["code"] == 400


def test_unknown_model_and_unknown_field(ag):
    missing = ag.rpc("generateContent", ag.envelope(model="gemini-9-ultra"))
    assert missing.status == 404 and missing.json()["error"]["message"] == "Requested entity was not found."
    odd = ag.envelope()
    odd["request"]["temperature"] = 1
    error = ag.rpc("generateContent", odd).json()["error"]
    assert error["code"] == 400 and 'Unknown name "temperature" at \'request\'' in error["message"]


def test_inner_request_is_validated_like_the_gemini_api(ag):
    error = ag.rpc("generateContent", ag.envelope(text="")).json()["error"]
    assert error["code"] == 400 and error["message"].startswith("Unable to submit request because it has an empty text")


@pytest.mark.parametrize("drop, named", [("requestId", "requestId"), ("userAgent", "userAgent")])
def test_strict_clients_names_what_the_antigravity_client_always_sends(ag, drop, named):
    body = ag.envelope()
    del body[drop]
    error = ag.rpc("generateContent", body).json()["error"]
    assert error["code"] == 400 and f"{named} is missing" in error["message"]
    ag.ca.strict_clients = False
    try:
        assert ag.rpc("generateContent", body).status == 200
    finally:
        ag.ca.strict_clients = True


def test_strict_clients_checks_gemini_cli_session_id_and_user_project_header(cli):
    body = cli.envelope()
    del body["request"]["session_id"]
    assert "request.session_id is missing" in cli.rpc("generateContent", body).json()["error"]["message"]
    header = cli.rpc("generateContent", cli.envelope(), **{"x-goog-user-project": cli.project})
    assert "x-goog-user-project" in header.json()["error"]["message"]


# -- error directives and injection ----------------------------------------------------

@pytest.mark.parametrize("directive, status, reason", [
    ("FAIL 429 RATE_LIMIT_EXCEEDED 1s", 429, "RATE_LIMIT_EXCEEDED"),
    ("FAIL 429 QUOTA_EXHAUSTED 7s", 429, "QUOTA_EXHAUSTED"),
    ("FAIL 503 MODEL_CAPACITY_EXHAUSTED", 503, "MODEL_CAPACITY_EXHAUSTED"),
    ("FAIL 429 MODEL_CAPACITY_EXHAUSTED", 429, "MODEL_CAPACITY_EXHAUSTED"),
    ("FAIL 429 INSUFFICIENT_G1_CREDITS_BALANCE", 429, "INSUFFICIENT_G1_CREDITS_BALANCE"),
    ("FAIL 403 VALIDATION_REQUIRED", 403, "VALIDATION_REQUIRED"),
    ("FAIL 403 SUBSCRIPTION_REQUIRED", 403, "SUBSCRIPTION_REQUIRED"),
    ("FAIL 403 SERVICE_DISABLED", 403, "SERVICE_DISABLED"),
    ("FAIL 401 UNAUTHENTICATED", 401, "ACCESS_TOKEN_EXPIRED"),
    ("FAIL 403 TOS", 403, None),
    ("FAIL 429 RESOURCE_EXHAUSTED", 429, None),
    ("FAIL 404 NOT_FOUND", 404, None),
    ("FAIL 429 2", 429, "RATE_LIMIT_EXCEEDED"),
    ("FAIL 500", 500, None),
])
def test_error_directives(ag, directive, status, reason):
    error = ag.rpc("generateContent", ag.envelope(text=directive)).json()["error"]
    assert error["code"] == status
    info = next((d for d in error.get("details", []) if d["@type"].endswith("ErrorInfo")), None)
    assert (info or {}).get("reason") == reason
    if reason == "QUOTA_EXHAUSTED":
        assert error["message"] == "You have exhausted your capacity on this model. Your quota will reset after 7s."
        assert info["domain"] == "cloudcode-pa.googleapis.com"
        assert info["metadata"]["quotaResetDelay"] == "7s" and info["metadata"]["model"] == "gemini-3-flash"
        assert info["metadata"]["quotaResetTimeStamp"].endswith("Z")
        assert {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "7s"} in error["details"]
    if directive == "FAIL 403 TOS":
        assert "violation of Terms of Service" in error["message"]


def test_go_style_reset_delays_for_long_and_short_waits(ag):
    long = ag.rpc("generateContent", ag.envelope(text="FAIL 429 QUOTA_EXHAUSTED 166h")).json()["error"]
    assert long["details"][0]["metadata"]["quotaResetDelay"] == "166h0m0s"
    assert long["details"][1]["retryDelay"] == "597600s"
    short = ag.rpc("generateContent", ag.envelope(text="FAIL 429 RATE_LIMIT_EXCEEDED 479ms")).json()["error"]
    assert short["details"][0]["metadata"]["quotaResetDelay"] == "479ms"
    assert short["details"][1]["retryDelay"] == "0.479s" and short["message"].endswith("reset after 0s.")


def test_fail_once_directive_fails_only_the_first_time(ag):
    body = ag.envelope(text="FAIL-ONCE 503 MODEL_CAPACITY_EXHAUSTED")
    assert ag.rpc("generateContent", body).status == 503
    assert ag.rpc("generateContent", body).status == 200
    assert ag.rpc("generateContent", body).status == 503


def test_injected_failure_by_test_api(ag):
    ag.ca.fail(ag.email, "RATE_LIMIT_EXCEEDED", model="gemini-3-flash", delay=2, times=1)
    other = ag.rpc("generateContent", ag.envelope(model="gemini-3.1-flash-lite"))
    assert other.status == 200
    first = ag.rpc("streamGenerateContent", ag.envelope(), query="?alt=sse")
    assert first.status == 429 and first.json()[0]["error"]["details"][1]["retryDelay"] == "2s"
    assert ag.rpc("generateContent", ag.envelope()).status == 200


def test_fail_after_streams_a_code_assist_error_event(ag):
    reply = ag.rpc("streamGenerateContent", ag.envelope(text="FAIL-AFTER 1 429 3\nsome more words here"),
                   query="?alt=sse")
    events = parse_sse(reply.body)
    assert reply.status == 200 and "response" in events[0]
    assert events[-1]["error"]["details"][0]["reason"] == "RATE_LIMIT_EXCEEDED"
    formed = ag.rpc("streamGenerateContent", ag.envelope(text="FAIL-AFTER 1 429 QUOTA_EXHAUSTED 3\nmore words here"),
                    query="?alt=sse")
    error = parse_sse(formed.body)[-1]["error"]
    assert error["details"][0]["reason"] == "QUOTA_EXHAUSTED" and error["details"][1]["retryDelay"] == "3s"


def test_a_gemini_api_form_has_no_code_assist_body(ag):
    error = ag.rpc("generateContent", ag.envelope(text="FAIL 403 API_KEY_SERVICE_BLOCKED")).json()["error"]
    assert error["code"] == 500 and "no such Code Assist form" in error["message"]


def test_credits_pay_when_quota_is_gone(fakes):
    ca, url = fakes
    ca.account("credits@example.com", tier="g1-ultra-tier", credits=1, quota={"gemini-3-flash": 0.0})
    who = Caller(ca, url, "credits@example.com")
    body = {**who.envelope(), "enabledCreditTypes": ["GOOGLE_ONE_AI"]}
    paid = who.rpc("generateContent", body).json()
    assert paid["consumedCredits"] == [{"creditType": "GOOGLE_ONE_AI", "creditAmount": "1"}]
    assert paid["remainingCredits"] == [{"creditType": "GOOGLE_ONE_AI", "creditAmount": "0"}]
    broke = who.rpc("generateContent", body).json()["error"]
    assert broke["details"][0]["reason"] == "INSUFFICIENT_G1_CREDITS_BALANCE"


# -- thought signatures ------------------------------------------------------------------

def _call_turns(ag: Caller, model: str) -> tuple[dict, dict]:
    body = ag.envelope(model=model, text="CALL get_weather {\"city\": \"Oslo\"}", tools=TOOLS)
    reply = ag.rpc("generateContent", body)
    assert reply.status == 200, reply.body
    model_turn = reply.json()["response"]["candidates"][0]["content"]
    return body, model_turn


def _replay(ag: Caller, body: dict, model_turn: dict) -> dict:
    ids = [p["functionCall"]["id"] for p in model_turn["parts"] if p.get("functionCall", {}).get("id")]
    answer = {"name": "get_weather", "response": {"output": "sunny"}, **({"id": ids[0]} if ids else {})}
    contents = body["request"]["contents"] + [model_turn, {"role": "user", "parts": [{"functionResponse": answer}]}]
    return {**body, "request": {**body["request"], "contents": contents}}


def test_gemini3_signature_replay(ag):
    body, turn = _call_turns(ag, "gemini-3-flash")
    call = turn["parts"][0]
    assert "functionCall" in call and call["thoughtSignature"]
    ok = ag.rpc("generateContent", _replay(ag, body, turn))
    assert ok.status == 200 and "tool result: sunny" in ok.text
    stripped = {**turn, "parts": [{"functionCall": call["functionCall"]}]}
    error = ag.rpc("generateContent", _replay(ag, body, stripped)).json()["error"]
    assert error["code"] == 400 and "Function call is missing a thought_signature" in error["message"]
    sentinel = {**turn, "parts": [{"functionCall": call["functionCall"], "thoughtSignature": SKIP_SIGNATURE_SENTINEL}]}
    assert ag.rpc("generateContent", _replay(ag, body, sentinel)).status == 200
    foreign = ThoughtSigner(b"gemgate-fake-gemini-api").issue("x")  # the Gemini API fake's: not valid here
    other = {**turn, "parts": [{"functionCall": call["functionCall"], "thoughtSignature": foreign}]}
    assert ag.rpc("generateContent", _replay(ag, body, other)).json()["error"]["message"] == \
        "Corrupted thought signature."


def test_claude_thinking_signatures(ag):
    thinking = {"thinkingConfig": {"includeThoughts": True, "thinkingBudget": 2048}, "maxOutputTokens": 8192}
    body = ag.envelope(model="claude-sonnet-4-6", text="CALL get_weather {\"city\": \"Rome\"}", tools=TOOLS,
                       generationConfig=thinking)
    reply = ag.rpc("generateContent", body)
    assert reply.status == 200, reply.body
    turn = reply.json()["response"]["candidates"][0]["content"]
    thought, call = turn["parts"][0], turn["parts"][1]
    assert thought["thought"] is True and thought["thoughtSignature"].startswith("E")
    assert call["functionCall"]["id"].startswith("toolu_")
    assert ag.rpc("generateContent", _replay(ag, body, turn)).status == 200
    invented = {**turn, "parts": [{**thought, "thoughtSignature": SKIP_SIGNATURE_SENTINEL}, call]}
    error = ag.rpc("generateContent", _replay(ag, body, invented)).json()["error"]
    assert error["code"] == 400
    assert json.loads(error["message"])["error"]["message"] == \
        "messages.1.content.0: Invalid `signature` in `thinking` block"


def test_claude_tool_rules(ag):
    """§6.4: tool_use ids on calls and results, Claude's name alphabet, a property per object in VALIDATED mode."""
    body = ag.envelope(model="claude-sonnet-4-6", text="CALL get_weather {\"city\": \"Rome\"}", tools=TOOLS)
    turn = ag.rpc("generateContent", body).json()["response"]["candidates"][0]["content"]
    no_id = {**turn, "parts": [{"functionCall": {k: v for k, v in p["functionCall"].items() if k != "id"}}
                               for p in turn["parts"] if "functionCall" in p]}
    error = ag.rpc("generateContent", _replay(ag, body, no_id)).json()["error"]
    assert error["code"] == 400 and "tool_use.id" in error["message"]
    wrong = _replay(ag, body, turn)
    wrong["request"]["contents"][-1]["parts"][0]["functionResponse"]["id"] = "toolu_other"
    assert "tool_use_id" in ag.rpc("generateContent", wrong).json()["error"]["message"]

    def declared(decl: dict, mode: str = "VALIDATED") -> dict:
        return ag.envelope(model="claude-sonnet-4-6", tools=[{"functionDeclarations": [decl]}],
                           toolConfig={"functionCallingConfig": {"mode": mode}})

    dotted = {"name": "repo.search", "parameters": {"type": "OBJECT", "properties": {"q": {"type": "STRING"}}}}
    assert "must match pattern" not in ag.rpc("generateContent", declared({**dotted, "name": "repo_search"})).text
    assert "should match pattern" in ag.rpc("generateContent", declared(dotted)).json()["error"]["message"]
    empty = {"name": "ping", "parameters": {"type": "OBJECT"}}  # no properties (an empty map is a Gemini 400)
    assert "at least one property" in ag.rpc("generateContent", declared(empty)).json()["error"]["message"]
    assert ag.rpc("generateContent", declared(empty, "AUTO")).status == 200


@pytest.mark.parametrize("config, message", [
    ({"thinkingConfig": {"includeThoughts": True, "thinkingBudget": 512}}, "greater than or equal to 1024"),
    ({"thinkingConfig": {"thinkingBudget": 4096}, "maxOutputTokens": 4096}, "`max_tokens` must be greater"),
])
def test_claude_budget_rules(ag, config, message):
    error = ag.rpc("generateContent", ag.envelope(model="claude-opus-4-6-thinking", generationConfig=config)).json()
    assert error["error"]["code"] == 400 and message in error["error"]["message"]


def test_gemini_cli_profile_uses_its_own_catalogue(cli):
    assert cli.rpc("generateContent", cli.envelope(model="claude-sonnet-4-6")).status == 404
    assert ANTIGRAVITY.profile == "antigravity" and GEMINI_CLI.profile == "gemini-cli"

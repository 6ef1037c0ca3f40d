"""The code-assist kind without a network: profiles and envelopes, settings, credential files, model lists and
the error taxonomy of reference/antigravity.md §8.3 ("Suggested mapping")."""

from __future__ import annotations

import base64
import time
from datetime import datetime, timezone

import orjson
import pytest

from gemgate.config import load_settings
from gemgate.errors import Failure, Scope
from gemgate.upstreams import UPSTREAM_KINDS, section_settings
from gemgate.upstreams.code_assist import CodeAssist, credential, models
from gemgate.upstreams.code_assist.errors import classifier, short_wait
from gemgate.upstreams.code_assist.profiles import ANTIGRAVITY, GEMINI_CLI, session_id
from gemgate.upstreams.code_assist.settings import CodeAssistSettings

REQUEST = {
    "contents": [{"role": "user", "parts": [{"text": "hi"}]}],
    "generationConfig": {"temperature": 0.2},
    "safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}],
    "model": "models/x",  # not a field of Code Assist's inner request
    "serviceTier": "standard",
}


def test_registered():
    assert UPSTREAM_KINDS["code-assist"] is CodeAssist


def test_antigravity_envelope_is_camel_case_and_drops_what_the_client_never_sends():
    env = ANTIGRAVITY.envelope_for("gemini-3-flash", "proj-1", REQUEST, "-42")
    assert env["project"] == "proj-1" and env["model"] == "gemini-3-flash"
    assert env["userAgent"] == "antigravity" and env["requestType"] == "agent"
    assert env["requestId"].startswith("agent-")
    assert env["request"]["sessionId"] == "-42"
    assert set(env["request"]) == {"contents", "generationConfig", "sessionId"}


def test_gemini_cli_envelope_is_snake_case():
    env = GEMINI_CLI.envelope_for("gemini-2.5-pro", "proj-2", REQUEST, "-7")
    assert set(env) == {"model", "project", "user_prompt_id", "request"}
    assert env["request"]["session_id"] == "-7" and "safetySettings" in env["request"]
    assert "model" not in env["request"] and "serviceTier" not in env["request"]


def test_discovery_bodies_per_profile():
    assert ANTIGRAVITY.load_body(None) == {"metadata": {"ideType": "ANTIGRAVITY"}}
    cli = GEMINI_CLI.load_body("p")
    assert cli["cloudaicompanionProject"] == "p" and cli["metadata"]["duetProject"] == "p"
    assert cli["metadata"]["pluginType"] == "GEMINI"
    assert ANTIGRAVITY.onboard_body("free-tier")["tier_id"] == "free-tier"
    assert GEMINI_CLI.onboard_body("free-tier")["tierId"] == "free-tier"


def test_user_agents():
    assert ANTIGRAVITY.agent() == "antigravity/hub/2.9.1 darwin/arm64"
    assert GEMINI_CLI.agent("gemini-2.5-pro") == "GeminiCLI/0.34.0/gemini-2.5-pro (linux; x64; terminal)"


def test_session_id_is_stable_per_account_and_conversation():
    a = session_id("acc", REQUEST)
    assert a == session_id("acc", REQUEST) and a.startswith("-") and int(a[1:]) > 0
    assert a != session_id("other", REQUEST)


def test_session_id_reads_only_text_strings():
    """A null text (a Gemini-native client may send one; Google judges it) is no text here, never a 500 (found
    attacking issue 10: every Code Assist account raised TypeError joining it)."""
    with_null = {"contents": [{"role": "user", "parts": [{"text": None}, {"text": "hi"}, {"text": 3}]}]}
    assert session_id("acc", with_null) == session_id("acc", {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]})


def test_settings_from_the_environment(monkeypatch):
    monkeypatch.setenv("GEMGATE_UPSTREAMS__CODE_ASSIST__TOKEN_URL", "http://127.0.0.1:1/token")
    monkeypatch.setenv("GEMGATE_UPSTREAMS__CODE_ASSIST__PROFILES__GEMINI_CLI__ENDPOINTS", '["http://a/", "http://b"]')
    monkeypatch.setenv("GEMGATE_UPSTREAMS__CODE_ASSIST__PROFILES__ANTIGRAVITY__VERSION", "3.0.0")
    settings = section_settings(load_settings().upstreams)["code-assist"]
    assert settings.token_url == "http://127.0.0.1:1/token"
    assert settings.profile("gemini-cli").endpoints == ("http://a", "http://b")
    assert settings.profile("antigravity").agent() == "antigravity/hub/3.0.0 darwin/arm64"
    assert settings.profile("antigravity").endpoints == ANTIGRAVITY.endpoints


def test_unknown_profile_section_says_which_exist():
    with pytest.raises(ValueError, match="unknown profile 'claude'.*antigravity, gemini-cli"):
        section_settings({"code_assist": {"profiles": {"claude": {}}}})


def _jwt(claims: dict) -> str:
    part = base64.urlsafe_b64encode(orjson.dumps(claims)).decode().rstrip("=")
    return f"eyJhbGciOiJSUzI1NiJ9.{part}.sig"


def test_gemini_cli_oauth_creds_file():
    data = {
        "access_token": "ya29.a0AS3H6Nx", "refresh_token": "1//0gabc", "scope": "openid", "token_type": "Bearer",
        "id_token": _jwt({"email": "ann@example.com"}), "expiry_date": 1_760_000_000_000,
    }
    secret = credential.from_file(data, "gemini-cli")
    assert secret == {
        "profile": "gemini-cli", "refresh_token": "1//0gabc", "access_token": "ya29.a0AS3H6Nx",
        "expiry": 1_760_000_000.0, "email": "ann@example.com", "project_id": None, "tier": None,
    }
    assert credential.from_file(data, "antigravity", "my-proj")["project_id"] == "my-proj"
    own = credential.from_file(secret | {"project_id": "p"})
    assert own["profile"] == "gemini-cli" and own["project_id"] == "p"
    with pytest.raises(ValueError, match="--profile"):
        credential.from_file(data)
    with pytest.raises(ValueError, match="refresh_token"):
        credential.from_file({"access_token": "x"}, "antigravity")


def test_names_and_descriptions_never_show_tokens():
    secret = {"profile": "antigravity", "refresh_token": "1//0secret", "access_token": "ya29.x", "email": "Ann@Example.com"}
    assert CodeAssist.suggest_name(secret) == "Ann-at-Example.com-antigravity"
    assert CodeAssist.describe_secret(secret) == "Ann@Example.com (antigravity)"
    assert CodeAssist.credential_identity(secret) == "ann@example.com|antigravity"
    assert CodeAssist.secret_problem(secret) is None
    assert "profile" in CodeAssist.secret_problem({"refresh_token": "x"})
    assert "refresh_token" in CodeAssist.secret_problem({"profile": "gemini-cli"})


def test_models_from_fetch_available_models_and_retrieve_user_quota():
    answer = {"models": {
        "gemini-3-flash": {"displayName": "Gemini 3 Flash", "maxTokens": 1048576, "maxOutputTokens": 65536,
                           "supportsThinking": True, "quotaInfo": {"remainingFraction": 0.5}},
        "chat_20706": {"isInternal": True},
        "tab_flash_lite_preview": {},
    }}
    (m,) = models.from_available_models(answer)
    assert m["name"] == "models/gemini-3-flash" and m["inputTokenLimit"] == 1048576 and m["thinking"] is True
    quota = {"buckets": [{"modelId": "gemini-2.5-pro", "tokenType": "REQUESTS"},
                         {"modelId": "gemini-2.5-pro", "tokenType": "INPUT_TOKENS"}, {"modelId": "gemini-2.5-flash"}]}
    assert [m["name"] for m in models.from_user_quota(quota)] == ["models/gemini-2.5-pro", "models/gemini-2.5-flash"]


# -- the taxonomy ---------------------------------------------------------------------------------------------

SETTINGS = CodeAssistSettings()
classify = classifier(SETTINGS)
DOMAIN = "cloudcode-pa.googleapis.com"


def body(code: int, status: str, message: str, reason: str | None = None, metadata: dict | None = None,
         retry: str | None = None, array: bool = False, help_url: str | None = None) -> bytes:
    details = []
    if reason:
        details.append({"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": reason, "domain": DOMAIN,
                        "metadata": metadata or {}})
    if retry:
        details.append({"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": retry})
    if help_url:
        details.append({"@type": "type.googleapis.com/google.rpc.Help", "links": [{"description": "x", "url": help_url}]})
    err = {"error": {"code": code, "message": message, "status": status, "details": details}}
    return orjson.dumps([err] if array else err)


def test_short_rate_limit_is_waited_out_on_the_same_account():
    err = classify(429, body(429, "RESOURCE_EXHAUSTED", "You have exhausted your capacity on this model. Your quota will reset after 0s.",
                             "RATE_LIMIT_EXCEEDED", {"quotaResetDelay": "479.417207ms"}, "0.479417207s"))
    assert err.failure is Failure.RATE_LIMITED and err.retry_after == pytest.approx(0.479, abs=0.01)
    assert short_wait(err, SETTINGS) == pytest.approx(1.279, abs=0.01)


def test_medium_rate_limit_cools_the_model_and_long_one_is_quota():
    medium = classify(429, body(429, "RESOURCE_EXHAUSTED", "slow down", "RATE_LIMIT_EXCEEDED", retry="42s"))
    assert medium.failure is Failure.RATE_LIMITED and medium.retry_after == 42 and medium.scope is Scope.MODEL
    assert short_wait(medium, SETTINGS) is None
    weekly = classify(429, body(429, "RESOURCE_EXHAUSTED", "weekly", "RATE_LIMIT_EXCEEDED", retry="256527.79s", array=True))
    assert weekly.failure is Failure.QUOTA_EXHAUSTED and weekly.retry_after == SETTINGS.quota_cooldown_cap_seconds


def test_quota_exhausted_cools_until_the_reset_timestamp_capped():
    reset = datetime.fromtimestamp(time.time() + 3600, timezone.utc).isoformat().replace("+00:00", "Z")
    err = classify(429, body(429, "RESOURCE_EXHAUSTED", "You have exhausted your capacity on this model.",
                             "QUOTA_EXHAUSTED", {"quotaResetTimeStamp": reset, "model": "gemini-3-flash"}))
    assert err.failure is Failure.QUOTA_EXHAUSTED and err.retry_after == pytest.approx(3600, abs=5)
    far = datetime.fromtimestamp(time.time() + 108 * 3600, timezone.utc).isoformat()
    err = classify(429, body(429, "RESOURCE_EXHAUSTED", "Individual quota reached. Resets in 108h48m29s.",
                             "QUOTA_EXHAUSTED", {"quotaResetTimeStamp": far, "quotaResetDelay": "108h48m29s"}))
    assert err.retry_after == SETTINGS.quota_cooldown_cap_seconds


@pytest.mark.parametrize("status", [429, 503])
def test_model_capacity_never_penalises_the_account(status):
    err = classify(status, body(status, "UNAVAILABLE", "No capacity available for model gemini-3.1-flash-image on the server",
                                "MODEL_CAPACITY_EXHAUSTED", retry="5s"))
    assert err.failure is Failure.CAPACITY and err.retry_after is None


def test_validation_required_says_where_to_verify():
    url = "https://accounts.google.com/signin/continue?sarp=1&scc=1&plt=AKgnsbx"
    err = classify(403, body(403, "PERMISSION_DENIED", "Verify your account to continue.", "VALIDATION_REQUIRED",
                             {"validation_url": url, "validation_url_link_text": "Verify your account"}))
    assert err.failure is Failure.FORBIDDEN and err.scope is Scope.ACCOUNT
    assert err.message.startswith("needs verification:") and url in err.message and "gemgate accounts enable" in err.message
    helped = classify(403, body(403, "PERMISSION_DENIED", "Verify your account to continue.", "VALIDATION_REQUIRED",
                                help_url="https://support.google.com/accounts?p=al_alert"))
    assert "support.google.com" in helped.message


def test_tos_ban_is_banned():
    err = classify(403, body(403, "PERMISSION_DENIED", "Gemini has been disabled in this account for violation of Terms "
                             "of Service. If you believe this is an error, please contact Google Cloud Support."))
    assert err.failure is Failure.FORBIDDEN and err.scope is Scope.ACCOUNT and err.message.startswith("banned:")


def test_subscription_required_says_what_to_do():
    err = classify(403, body(403, "PERMISSION_DENIED", "You are currently configured to use a Google Cloud Project but lack "
                             "a Gemini Code Assist license. (#3501)", "SUBSCRIPTION_REQUIRED"))
    assert err.failure is Failure.FORBIDDEN and "--project" in err.message


def test_401_and_400():
    assert classify(401, body(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.")).failure is Failure.AUTH_EXPIRED
    bad = classify(400, body(400, "INVALID_ARGUMENT", "Function call is missing a thought_signature in functionCall parts."))
    assert bad.failure is Failure.BAD_REQUEST and not bad.retryable


def test_a_plain_401_is_the_tokens_fault():
    from gemgate.errors import Cause

    err = classify(401, b'{"error": {"code": 401, "message": "Request had invalid authentication credentials.", "status": "UNAUTHENTICATED"}}')
    assert err.failure is Failure.AUTH_EXPIRED and err.cause is Cause.ACCOUNT and err.books


def test_only_tokens_are_redacted_not_the_profile_or_email():
    secret = {"profile": "antigravity", "refresh_token": "1//0secret-refresh", "access_token": "ya29.secret-access",
              "email": "ann@example.com", "project_id": "p", "tier": "free-tier", "expiry": 1.0}
    assert sorted(CodeAssist.secret_values(secret)) == ["1//0secret-refresh", "ya29.secret-access"]


def test_credit_field_spelled_as_each_profile_sends_it_and_only_when_paying():
    """§7.3 `enabledCreditTypes` (Antigravity); reference A3 `enabled_credit_types` (the Gemini CLI)."""
    from gemgate.upstreams.code_assist.profiles import ANTIGRAVITY, GEMINI_CLI

    request = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
    assert ANTIGRAVITY.envelope_for("m", "p", request, "s", True)["enabledCreditTypes"] == ["GOOGLE_ONE_AI"]
    assert GEMINI_CLI.envelope_for("m", "p", request, "s", True)["enabled_credit_types"] == ["GOOGLE_ONE_AI"]
    assert not {"enabledCreditTypes", "enabled_credit_types"} & set(ANTIGRAVITY.envelope_for("m", "p", request, "s"))


def test_account_settings_are_checked_and_shown_without_tokens():
    secret = {"profile": "antigravity", "refresh_token": "1//r", "email": "a@example.com"}
    assert credential.describe({**secret, "credits": True, "user_agent": "antigravity/hub/2.9.1 darwin/arm64"}) == (
        'a@example.com (antigravity; credits on; User-Agent "antigravity/hub/2.9.1 darwin/arm64")')
    assert "printable ASCII" in credential.problem({**secret, "user_agent": "a\r\nX-Injected: 1"})
    assert credential.problem({**secret, "credits": "yes"}) == "'credits' must be true or false"
    with pytest.raises(ValueError):
        credential.options("x" * 600)


@pytest.mark.parametrize("url", ["javascript:alert(document.cookie)", "http://accounts.google.com/x?plt=1",
                                 "https://accounts.google.com.evil.example/x", "https://evil.example/google.com",
                                 "data:text/html,hi"])
def test_a_verification_link_that_is_not_https_on_google_is_dropped_saying_so(url):
    from gemgate.upstreams.code_assist.errors import verification_message

    reason = verification_message(url, "Verify your account to continue.")
    assert url not in reason and "dropped" in reason and "not an https link on a Google host" in reason


def test_a_google_https_verification_link_is_kept():
    from gemgate.upstreams.code_assist.errors import verification_message

    url = "https://accounts.google.com/signin/continue?sarp=1&scc=1&plt=abc"
    assert f"open {url} in a browser" in verification_message(url, "Verify your account to continue.")

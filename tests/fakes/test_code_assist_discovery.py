"""Fake Code Assist: auth, loadCodeAssist, onboarding LRO, ineligible tiers, validation, bans, quota RPCs."""

from __future__ import annotations

import time
from urllib.parse import urlencode

import pytest

from gemgate.testing import ANTIGRAVITY, GEMINI_CLI, FakeCodeAssist
from tests.fakes.code_assist_support import AG_UA, OLD_AG_UA, Caller, new_fakes
from tests.support.http import post, request


@pytest.fixture(scope="module")
def fakes():
    oauth, ca = new_fakes()
    with oauth.running(), ca.running() as url:
        yield ca, url


def caller(fakes, email, client=ANTIGRAVITY, **script) -> Caller:
    ca, url = fakes
    ca.account(email, **script)
    return Caller(ca, url, email, client)


# -- auth ---------------------------------------------------------------------

def test_auth_failures_are_401_with_google_reasons(fakes):
    ca, url = fakes
    none = post(f"{url}/v1internal:loadCodeAssist", {})
    assert none.status == 401 and none.json()["error"]["details"][0]["reason"] == "CREDENTIALS_MISSING"
    bad = post(f"{url}/v1internal:loadCodeAssist", {}, headers={"Authorization": "Bearer ya29.nope"})
    assert bad.status == 401 and bad.json()["error"]["status"] == "UNAUTHENTICATED"
    assert bad.json()["error"]["message"].startswith("Request had invalid authentication credentials.")
    who = caller(fakes, "exp@example.com")
    ca.oauth.expire_access_tokens("exp@example.com")
    expired = who.rpc("loadCodeAssist")
    assert expired.status == 401 and expired.json()["error"]["details"][0]["reason"] == "ACCESS_TOKEN_EXPIRED"
    refresh = ca.oauth.issue_refresh_token("rev@example.com")
    form = urlencode({"grant_type": "refresh_token", "refresh_token": refresh, "client_id": ANTIGRAVITY.client_id,
                      "client_secret": ANTIGRAVITY.client_secret}).encode()
    token = request("POST", f"{ca.oauth.base_url}/token", raw=form,
                    headers={"Content-Type": "application/x-www-form-urlencoded"}).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}", "User-Agent": AG_UA}
    assert post(f"{url}/v1internal:loadCodeAssist", {}, headers=headers).status == 200
    ca.oauth.revoke(refresh)  # revoking the grant kills the access tokens issued from it
    assert post(f"{url}/v1internal:loadCodeAssist", {}, headers=headers).status == 401


def test_token_without_cloud_platform_scope_is_403(fakes):
    ca, url = fakes
    token = ca.oauth.issue_access_token("scope@example.com", scopes=["openid"]).token
    reply = post(f"{url}/v1internal:loadCodeAssist", {}, headers={"Authorization": f"Bearer {token}"})
    assert reply.status == 403 and reply.json()["error"]["details"][0]["reason"] == "ACCESS_TOKEN_SCOPE_INSUFFICIENT"


def test_unknown_rpcs_answer_an_empty_object_and_other_paths_404(fakes):
    who = caller(fakes, "misc@example.com")
    assert who.rpc("listExperiments", {"project": who.project}).json() == {}
    assert who.get("/v1beta/models").status == 404
    assert who.get("/v1internal:generateContent").status == 404  # POST-only RPCs


# -- loadCodeAssist -------------------------------------------------------------

def test_onboarded_free_account_on_antigravity(fakes):
    who = caller(fakes, "free@example.com")
    body = who.rpc("loadCodeAssist", {"metadata": {"ideType": "ANTIGRAVITY"}}).json()
    assert body["cloudaicompanionProject"] == who.project and "-" in who.project
    assert body["currentTier"]["id"] == "free-tier" and body["currentTier"]["name"] == "Antigravity"
    assert body["allowedTiers"][0]["isDefault"] is True and "paidTier" not in body


def test_paid_tier_with_credits(fakes):
    who = caller(fakes, "pro@example.com", tier="g1-pro-tier", credits=250)
    body = who.rpc("loadCodeAssist", {"metadata": {"ide_type": 9, "platform": "PLATFORM_UNSPECIFIED"}}).json()
    assert body["currentTier"]["id"] == "free-tier"
    assert body["paidTier"]["id"] == "g1-pro-tier"
    assert body["paidTier"]["availableCredits"][0] == {"creditType": "GOOGLE_ONE_AI", "creditAmount": "250",
                                                       "minimumCreditAmountForUsage": "1"}


def test_bad_enum_and_unknown_field_are_400(fakes):
    who = caller(fakes, "enum@example.com")
    bad = who.rpc("loadCodeAssist", {"metadata": {"ideType": "EMACS"}})
    assert bad.status == 400 and "metadata.ide_type" in bad.json()["error"]["message"]
    unknown = who.rpc("loadCodeAssist", {"metadata": {}, "colour": "blue"})
    assert unknown.status == 400 and 'Unknown name "colour"' in unknown.json()["error"]["message"]


def test_onboarding_lro_polled_by_repost_and_get(fakes):
    who = caller(fakes, "new@example.com", project=None, onboard_polls=2)
    load = who.rpc("loadCodeAssist", {"metadata": {"ideType": "ANTIGRAVITY"}}).json()
    assert "currentTier" not in load and "cloudaicompanionProject" not in load
    tier = next(t["id"] for t in load["allowedTiers"] if t.get("isDefault"))
    first = who.rpc("onboardUser", {"tier_id": tier, "metadata": {"ide_type": "ANTIGRAVITY"}}).json()
    assert first["done"] is False and first["name"].startswith("operations/")
    assert who.rpc("onboardUser", {"tierId": tier}).json() == {"name": first["name"], "done": False}
    done = who.get(f"/v1internal/{first['name']}").json()
    assert done["done"] is True
    project = done["response"]["cloudaicompanionProject"]
    assert project["id"] == project["name"] == who.project
    assert who.rpc("loadCodeAssist", {}).json()["cloudaicompanionProject"] == project["id"]
    other = caller(fakes, "other@example.com")
    assert other.get(f"/v1internal/{first['name']}").status == 404


def test_onboarding_free_tier_with_a_project_is_a_failed_precondition(fakes):
    who = caller(fakes, "pre@example.com", project=None)
    reply = who.rpc("onboardUser", {"tierId": "free-tier", "cloudaicompanionProject": "mine"})
    assert reply.status == 400 and reply.json()["error"]["status"] == "FAILED_PRECONDITION"


def test_standard_tier_onboards_with_its_own_project(fakes):
    who = caller(fakes, "std@example.com", GEMINI_CLI, tier="standard-tier", project=None, onboard_polls=0)
    load = who.rpc("loadCodeAssist", {}).json()
    assert load["allowedTiers"][0]["userDefinedCloudaicompanionProject"] is True
    done = who.rpc("onboardUser", {"tierId": "standard-tier", "cloudaicompanionProject": "acme-dev"}).json()
    assert done["done"] is True and who.project == "acme-dev"


def test_gemini_cli_client_on_a_consumer_account_is_unsupported(fakes):
    who = caller(fakes, "cli-free@example.com", GEMINI_CLI)
    load = who.rpc("loadCodeAssist", {"metadata": {"ideType": "IDE_UNSPECIFIED", "pluginType": "GEMINI"}}).json()
    assert "currentTier" not in load and "cloudaicompanionProject" not in load
    assert load["ineligibleTiers"] == [{
        "reasonCode": "UNSUPPORTED_CLIENT", "tierId": "free-tier", "tierName": "Gemini Code Assist for individuals",
        "reasonMessage": "This client is no longer supported for Gemini Code Assist for individuals. To continue "
                         "using Gemini, please migrate to the Antigravity suite of products: "
                         "https://antigravity.google"}]
    assert who.rpc("generateContent", who.envelope(project="x")).status == 403
    same_account = Caller(fakes[0], fakes[1], "cli-free@example.com", ANTIGRAVITY)
    assert "cloudaicompanionProject" in same_account.rpc("loadCodeAssist", {}).json()


def test_validation_required_everywhere_until_cleared(fakes):
    url = "https://accounts.google.com/signin/continue?sarp=1&scc=1&plt=AKgnsbv"
    who = caller(fakes, "verify@example.com", validation_url=url)
    entry = who.rpc("loadCodeAssist", {}).json()["ineligibleTiers"][0]
    assert entry["reasonCode"] == "VALIDATION_REQUIRED" and entry["validationUrl"] == url
    for method, body in (("generateContent", who.envelope()), ("retrieveUserQuotaSummary", {})):
        error = who.rpc(method, body).json()["error"]
        assert error["code"] == 403 and error["message"] == "Verify your account to continue."
        info, help_ = error["details"]
        assert info["reason"] == "VALIDATION_REQUIRED" and info["metadata"]["validation_url"] == url
        assert help_["links"][0]["url"] == url
    fakes[0].account("verify@example.com").validation_url = None
    assert who.rpc("generateContent", who.envelope()).status == 200


def test_tos_ban_answers_every_rpc(fakes):
    who = caller(fakes, "banned@example.com", banned=True)
    for method in ("loadCodeAssist", "fetchAvailableModels", "generateContent"):
        error = who.rpc(method, {}).json()["error"]
        assert error["code"] == 403 and error["message"].startswith(
            "Gemini has been disabled in this account for violation of Terms of Service.")


# -- quota RPCs -------------------------------------------------------------------

def test_fetch_available_models_and_quota_decrement(fakes):
    who = caller(fakes, "quota@example.com")
    before = who.rpc("fetchAvailableModels", {"project": who.project}).json()
    entry = before["models"]["gemini-3-flash"]
    assert entry["quotaInfo"]["remainingFraction"] == 1.0 and entry["quotaInfo"]["resetTime"].endswith("Z")
    assert entry["maxTokens"] == 1048576 and before["defaultAgentModelId"] in before["models"]
    assert "claude-sonnet-4-6" in before["models"] and "gemini-3.1-flash-image" in before["imageGenerationModelIds"]
    assert who.rpc("generateContent", who.envelope()).status == 200
    after = who.rpc("fetchAvailableModels", {}).json()["models"]["gemini-3-flash"]["quotaInfo"]
    assert after["remainingFraction"] == pytest.approx(0.99)


def test_exhausted_model_shows_no_fraction_and_answers_quota_exhausted(fakes):
    who = caller(fakes, "empty@example.com", quota={"gemini-3-flash": 0.0})
    info = who.rpc("fetchAvailableModels", {}).json()["models"]["gemini-3-flash"]["quotaInfo"]
    assert "remainingFraction" not in info and "resetTime" in info  # §7.1: missing fraction = exhausted
    error = who.rpc("generateContent", who.envelope()).json()["error"]
    assert error["code"] == 429 and error["details"][0]["reason"] == "QUOTA_EXHAUSTED"
    assert error["details"][0]["metadata"]["model"] == "gemini-3-flash"


def test_allow_exhausts_after_n_generations_and_the_window_refills_at_its_reset(fakes):
    who = caller(fakes, "window@example.com")
    account = who.ca.account("window@example.com")
    account.allow("gemini-3-flash", 2, reset_in=3600)
    assert [who.rpc("generateContent", who.envelope()).status for _ in range(3)] == [200, 200, 429]
    info = who.rpc("fetchAvailableModels", {}).json()["models"]["gemini-3-flash"]["quotaInfo"]
    assert "remainingFraction" not in info
    account.quota_reset_at = time.time()  # the reset time comes: Google refills the window
    info = who.rpc("fetchAvailableModels", {}).json()["models"]["gemini-3-flash"]["quotaInfo"]
    assert info["remainingFraction"] == 1.0 and account.quota_reset_at > time.time() + 4 * 3600
    assert who.rpc("generateContent", who.envelope()).status == 200


@pytest.mark.parametrize("reason", ["SUBSCRIPTION_REQUIRED", "SERVICE_DISABLED"])
def test_a_refused_project_answers_its_403_on_every_call_naming_it(fakes, reason):
    email = f"refused-{reason.lower()}@example.com"
    who = caller(fakes, email)
    old = who.project
    who.ca.account(email, refused_projects={old: reason}, project="fresh-managed-1a2b3")
    for method, body in (("fetchAvailableModels", {"project": old}), ("generateContent", who.envelope(project=old))):
        error = who.rpc(method, body).json()["error"]
        assert error["code"] == 403 and error["details"][0]["reason"] == reason
    assert who.rpc("loadCodeAssist", {"metadata": {"ideType": "ANTIGRAVITY"}}).json()["cloudaicompanionProject"] \
        == "fresh-managed-1a2b3"


def test_project_of_someone_else_is_refused(fakes):
    who = caller(fakes, "proj@example.com")
    reply = who.rpc("fetchAvailableModels", {"project": "not-mine-123"})
    assert reply.status == 403 and reply.json()["error"]["details"][0]["reason"] == "CONSUMER_INVALID"


def test_retrieve_user_quota_for_gemini_cli(fakes):
    who = caller(fakes, "std-quota@example.com", GEMINI_CLI, tier="standard-tier", quota={"gemini-2.5-pro": 0.5})
    buckets = who.rpc("retrieveUserQuota", {"project": who.project}).json()["buckets"]
    pro = next(b for b in buckets if b["modelId"] == "gemini-2.5-pro")
    assert pro["remainingFraction"] == 0.5 and pro["remainingAmount"] == "750" and pro["tokenType"] == "REQUESTS"


def test_quota_summary_groups_and_disabled_5h_bucket(fakes):
    who = caller(fakes, "weekly@example.com", weekly={"3p": 0.0})
    groups = who.rpc("retrieveUserQuotaSummary", {"project": who.project}).json()["groups"]
    buckets = {b["bucketId"]: b for g in groups for b in g["buckets"]}
    assert set(buckets) == {"gemini-weekly", "gemini-5h", "3p-weekly", "3p-5h"}
    assert buckets["3p-5h"]["disabled"] is True and buckets["3p-5h"]["remainingFraction"] == 1.0
    assert buckets["gemini-5h"]["disabled"] is False and buckets["3p-weekly"]["window"] == "weekly"
    error = who.rpc("generateContent", who.envelope(model="claude-sonnet-4-6")).json()["error"]
    assert error["details"][0]["reason"] == "QUOTA_EXHAUSTED"


def test_old_antigravity_client_does_not_see_newer_models(fakes):
    ca, url = fakes
    ca.account("old@example.com")
    old = Caller(ca, url, "old@example.com", user_agent=OLD_AG_UA)
    models = old.rpc("fetchAvailableModels", {}).json()["models"]
    assert "gemini-3-flash" in models and "gemini-3.7-flash-high" not in models
    reply = old.rpc("generateContent", old.envelope(model="gemini-3.7-flash-high"))
    assert reply.status == 404 and reply.json()["error"]["message"] == "Requested entity was not found."
    new = Caller(ca, url, "old@example.com")
    assert new.rpc("generateContent", new.envelope(model="gemini-3.7-flash-high")).status == 200


def test_unlicensed_standard_seat_is_subscription_required(fakes):
    who = caller(fakes, "nolicence@example.com", GEMINI_CLI, tier="standard-tier", licensed=False)
    error = who.rpc("generateContent", who.envelope()).json()["error"]
    assert error["code"] == 403 and error["details"][0]["reason"] == "SUBSCRIPTION_REQUIRED"
    assert error["details"][0]["domain"] == "cloudaicompanion.googleapis.com"
    assert error["details"][1]["links"][0]["url"].endswith("/codeassist/request-license")


def test_two_hosts_share_accounts_but_not_failures():
    # daily and prod of one service (antigravity.md §2.1): same accounts, their own failures, and prod's
    # frozen quota summary (quota is metered per deployment).
    oauth, daily = new_fakes()
    prod = FakeCodeAssist(oauth, accounts=daily.accounts, signer=daily.signer, frozen_quota_summary=True)
    with oauth.running(), daily.running() as daily_url, prod.running() as prod_url:
        daily.account("hosts@example.com", quota={"gemini-3-flash": 0.4})
        on_daily, on_prod = Caller(daily, daily_url, "hosts@example.com"), Caller(prod, prod_url, "hosts@example.com")
        daily.fail("hosts@example.com", "MODEL_CAPACITY_EXHAUSTED", this_host=True)
        assert on_daily.rpc("generateContent", on_daily.envelope()).status == 503
        assert on_prod.rpc("generateContent", on_prod.envelope()).status == 200
        five = {b["bucketId"]: b["remainingFraction"] for g in on_prod.rpc("retrieveUserQuotaSummary", {}).json()
                ["groups"] for b in g["buckets"]}
        assert five["gemini-5h"] == 1.0
        daily_five = {b["bucketId"]: b["remainingFraction"] for g in on_daily.rpc("retrieveUserQuotaSummary", {})
                      .json()["groups"] for b in g["buckets"]}
        assert daily_five["gemini-5h"] == pytest.approx(0.39)

"""Who caused an upstream failure, decided from Google's reason and message, and what the pool does about it.

One row per realistic body: (status, body) -> (failure kind, cause, retried on another account?, the status the
client sees if it ends there, the account's state after booking it, and after booking it once another account
served the same request). Bodies come from the fake (`gemgate.testing.gemini_errors`, each with its source), or are
quoted here from the references, so the fake and the classifier are held to the same shapes.
"""

from __future__ import annotations

import orjson
import pytest

from gemgate.errors import Cause, Failure, UpstreamError
from gemgate.pool import Account, Pool
from gemgate.store import AccountRecord
from gemgate.testing import gemini_errors as ge
from gemgate.upstreams.google_errors import classify

RPC = "google.ai.generativelanguage.v1beta.GenerativeService.StreamGenerateContent"
MODEL = "gemini-2.5-flash"


def err(code: int, message: str, status: str | None = None, **extra) -> dict:
    return {"error": {"code": code, "message": message, "status": status or ge.STATUS_NAMES[code], **extra}}


def info(reason: str, domain: str = "googleapis.com", **metadata) -> dict:
    return {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": reason, "domain": domain, "metadata": metadata}


A, R, S, U = Cause.ACCOUNT, Cause.REQUEST, Cause.SERVICE, Cause.UNCLEAR
F = Failure

# id: (status, body, kind, cause, retried, client status, state after, state after confirmation)
ROWS = {
    # 400
    "400 API_KEY_INVALID": (400, ge.api_key_invalid().body(), F.FORBIDDEN, A, True, 502, "disabled", "disabled"),
    "400 invalid argument": (400, ge.injected_failure(400, MODEL, None).body(), F.BAD_REQUEST, R, False, 400, "ok", "ok"),
    "400 BadRequest fieldViolations": (
        400, ge.bad_request("Invalid JSON payload received.", [{"field": "contents[0]", "description": "x"}]).body(),
        F.BAD_REQUEST, R, False, 400, "ok", "ok"),
    # Google echoes request content after its opening words: a client must not be able to disable an account.
    "400 echoing 'API key' mid-message": (
        400, err(400, "* GenerateContentRequest.tools[0].function_declarations[0].name: API key not valid"),
        F.BAD_REQUEST, R, False, 400, "ok", "ok"),
    "400 FAILED_PRECONDITION": (400, ge.free_tier_unavailable().body(), F.FORBIDDEN, U, True, 400, "ok", "strike"),
    # 401
    "401 plain": (401, ge.injected_failure(401, MODEL, None).body(), F.AUTH_EXPIRED, U, True, 502, "ok", "ok"),
    "401 ACCESS_TOKEN_EXPIRED": (401, ge.access_token_expired(RPC).body(), F.AUTH_EXPIRED, A, True, 502, "ok", "ok"),
    "401 ACCESS_TOKEN_TYPE_UNSUPPORTED": (
        401, ge.access_token_type_unsupported(RPC).body(), F.AUTH_EXPIRED, A, True, 502, "ok", "ok"),
    # 402: prepaid credit used up (reference §B2)
    "402": (402, err(402, "Your prepaid credits are used up."), F.FORBIDDEN, A, True, 502, "disabled", "disabled"),
    "402 unexplained": (402, err(402, "Unknown error."), F.FORBIDDEN, U, True, 402, "ok", "strike"),
    # 403
    "403 plain": (403, ge.injected_failure(403, MODEL, None).body(), F.FORBIDDEN, U, True, 403, "ok", "strike"),
    "403 API_KEY_SERVICE_BLOCKED": (
        403, ge.api_key_service_blocked(RPC).body(), F.FORBIDDEN, A, True, 502, "disabled", "disabled"),
    "403 SERVICE_DISABLED": (403, ge.service_disabled().body(), F.FORBIDDEN, A, True, 502, "disabled", "disabled"),
    "403 CONSUMER_SUSPENDED": (403, ge.consumer_suspended().body(), F.FORBIDDEN, A, True, 502, "disabled", "disabled"),
    "403 CONSUMER_INVALID": (  # reference §A4 (cline#4526)
        403, err(403, "Permission denied on resource project default.", details=[info("CONSUMER_INVALID")]),
        F.FORBIDDEN, A, True, 502, "disabled", "disabled"),
    "403 leaked key": (403, ge.api_key_revoked().body(), F.FORBIDDEN, A, True, 502, "disabled", "disabled"),
    "403 File of another project": (
        403, ge.file_permission_denied().body(), F.FORBIDDEN, R, False, 403, "ok", "ok"),
    "403 CachedContent": (403, ge.cached_content_denied().body(), F.FORBIDDEN, R, False, 403, "ok", "ok"),
    "403 VALIDATION_REQUIRED (Code Assist)": (  # reference/antigravity.md §8.2
        403, [err(403, "Verify your account to continue.", details=[info("VALIDATION_REQUIRED", "cloudcode-pa.googleapis.com")])],
        F.FORBIDDEN, A, True, 502, "disabled", "disabled"),
    "403 ToS ban (Code Assist, no reason)": (  # reference/antigravity.md §8.2
        403, err(403, "Gemini has been disabled in this account for violation of Terms of Service. If you believe this "
                      "is an error, please contact Google Cloud Support."),
        F.FORBIDDEN, A, True, 502, "disabled", "disabled"),
    "403 forbidden (Code Assist array, legacy errors)": (  # google-gemini/gemini-cli#25607
        403, [err(403, "The caller does not have permission",
                  errors=[{"message": "The caller does not have permission", "domain": "global", "reason": "forbidden"}])],
        F.FORBIDDEN, U, True, 403, "ok", "strike"),
    # 404
    "404 model": (404, ge.injected_failure(404, MODEL, None).body(), F.NOT_FOUND, A, True, 404, "not-found", "not-found"),
    "404 entity (nothing named)": (
        404, ge.injected_failure(404, MODEL, None, "ENTITY").body(), F.NOT_FOUND, U, True, 404, "ok", "not-found"),
    "404 a named resource": (  # wording illustrative: Google answers most foreign resources with 403 (above)
        404, err(404, "tunedModels/my-model-1 is not found."), F.NOT_FOUND, R, False, 404, "ok", "ok"),
    # 413 from a front end
    "413": (413, err(413, "Request payload size exceeds the limit.", "INVALID_ARGUMENT"), F.BAD_REQUEST, R, False, 413, "ok", "ok"),
    # 429
    "429 free-tier quota": (429, ge.quota_exhausted(MODEL, 7).body(), F.RATE_LIMITED, A, True, 429, "cooling", "cooling"),
    "429 QUOTA_EXHAUSTED (Code Assist)": (
        429, [err(429, "You have exhausted your capacity on this model.",
                  details=[info("QUOTA_EXHAUSTED", "cloudcode-pa.googleapis.com", quotaResetDelay="2h37m22.776s")])],
        F.QUOTA_EXHAUSTED, A, True, 429, "cooling", "cooling"),
    "429 MODEL_CAPACITY_EXHAUSTED": (
        429, [err(429, "No capacity available for model gemini-3.1-pro-preview on the server",
                  details=[info("MODEL_CAPACITY_EXHAUSTED", "cloudcode-pa.googleapis.com")])],
        F.CAPACITY, S, True, 429, "ok", "ok"),  # Google's status is kept: 429, not the gateway's 503
    # 5xx
    "500": (500, ge.injected_failure(500, MODEL, None).body(), F.TRANSIENT, S, True, 500, "ok", "ok"),
    "503": (503, ge.injected_failure(503, MODEL, None).body(), F.CAPACITY, S, True, 503, "ok", "ok"),
}


class _Store:
    """The writes the pool makes, taken and dropped."""

    async def put_health(self, record) -> None:
        pass

    async def set_account_enabled(self, *args) -> None:
        pass


def state(acc: Account) -> str:
    if not acc.record.enabled:
        return "disabled"
    if acc.missing:
        return "not-found"
    if acc.cooldowns:
        return "cooling"
    return "strike" if acc.strikes else "ok"


def booked(error: UpstreamError, *, confirmed: bool, strikes_to_disable: int = 3) -> Account:
    pool = Pool(_Store(), strikes_to_disable=strikes_to_disable)
    acc = Account(AccountRecord(id="a", name="a", kind="gemini-api", secret={}))
    pool.set_accounts([acc])
    pool.record_failure(acc, MODEL, error)
    if confirmed:
        pool.record_failure(acc, MODEL, _confirmed(error), counted=True)
    for write in list(pool._writes._queue):  # the writes are coroutines; close them unawaited
        write.close()
    return acc


def _confirmed(error: UpstreamError) -> UpstreamError:
    error.confirmed = error.cause is Cause.UNCLEAR
    return error


@pytest.mark.parametrize("row", list(ROWS))
def test_who_caused_it_and_what_the_account_pays(row):
    status, body, kind, cause, retried, client_status, after, after_confirmed = ROWS[row]
    error = classify(status, orjson.dumps(body))
    assert (error.failure, error.cause, error.retryable) == (kind, cause, retried)
    assert error.to_gateway().status == client_status
    assert state(booked(classify(status, orjson.dumps(body)), confirmed=False)) == after
    assert state(booked(classify(status, orjson.dumps(body)), confirmed=True)) == after_confirmed


def test_the_request_s_own_failure_keeps_the_upstream_status_for_google_callers():
    from gemgate.dialects.gemini_native.reply import google_error_body

    gateway = classify(400, orjson.dumps(ge.free_tier_unavailable().body())).to_gateway()
    assert google_error_body(gateway)["error"] == {
        "code": 400, "message": ge.free_tier_unavailable().message, "status": "FAILED_PRECONDITION"}
    denied = classify(403, orjson.dumps(ge.file_permission_denied().body())).to_gateway()
    assert google_error_body(denied)["error"]["status"] == "PERMISSION_DENIED" and denied.code is None


def test_unexplained_refusals_disable_only_after_a_run_of_confirmed_ones():
    pool = Pool(_Store(), strikes_to_disable=3)
    acc = Account(AccountRecord(id="a", name="a", kind="gemini-api", secret={}))
    pool.set_accounts([acc])
    lease_error = lambda: classify(403, orjson.dumps(ge.injected_failure(403, MODEL, None).body()))  # noqa: E731
    for _ in range(5):  # unconfirmed (every account refused alike): never held against the account
        pool.record_failure(acc, MODEL, lease_error())
    assert acc.record.enabled and acc.strikes == 0
    for _ in range(2):
        pool.record_failure(acc, MODEL, _confirmed(lease_error()), counted=True)
    assert acc.record.enabled and acc.strikes == 2
    from gemgate.pool.pool import Lease

    Lease(pool, acc, MODEL).success()  # a success ends the run
    assert acc.strikes == 0
    for _ in range(3):
        pool.record_failure(acc, MODEL, _confirmed(lease_error()), counted=True)
    assert not acc.record.enabled and "unexplained" in acc.record.disabled_reason
    for write in list(pool._writes._queue):
        write.close()


def test_every_fake_form_is_classified():
    """Each FAIL form the fake offers lands in the table above (a new form must get a row)."""
    forms = {(400, "API_KEY_INVALID"), (400, "FAILED_PRECONDITION"), (401, "ACCESS_TOKEN_EXPIRED"),
             (401, "ACCESS_TOKEN_TYPE_UNSUPPORTED"), (403, "API_KEY_SERVICE_BLOCKED"), (403, "SERVICE_DISABLED"),
             (403, "CONSUMER_SUSPENDED"), (403, "LEAKED"), (403, "PERMISSION_DENIED"), (403, "CACHED_CONTENT"),
             (404, "ENTITY")}
    bodies = [orjson.dumps(row[1]) for row in ROWS.values()]
    for code, form in forms:
        assert orjson.dumps(ge.injected_failure(code, MODEL, None, form, RPC).body()) in bodies, (code, form)
    with pytest.raises(ValueError):
        ge.injected_failure(403, MODEL, None, "NO_SUCH_FORM")

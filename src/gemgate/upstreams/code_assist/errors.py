"""Code Assist's own error taxonomy on top of `google_errors.classify` (reference/antigravity.md §8.2 catalogue,
§8.3 "Suggested mapping"):

| upstream answer | failure | pool effect | client sees |
|---|---|---|---|
| 429 RATE_LIMIT_EXCEEDED, wait <= retry_short_seconds | RATE_LIMITED | waited out once on the same account (`short_wait`), then as below | 429 |
| 429 RATE_LIMIT_EXCEEDED, wait <= rate_limit_as_quota_seconds | RATE_LIMITED | (account, model) cools for the wait | 429 |
| 429 RATE_LIMIT_EXCEEDED, longer (a weekly limit) | QUOTA_EXHAUSTED | as QUOTA_EXHAUSTED | 429 |
| 429 QUOTA_EXHAUSTED | QUOTA_EXHAUSTED | (account, model) cools until quotaResetTimeStamp, capped | 429 |
| 429/503 MODEL_CAPACITY_EXHAUSTED | CAPACITY, no retry hint | nothing (busy for everyone); next host | 503 |
| 403 VALIDATION_REQUIRED | FORBIDDEN (account) | disabled: "needs verification: open <url>…" | 502 |
| 403 ToS text | FORBIDDEN (account) | disabled: "banned: …", never retried by itself | 502 |
| 403 UNSUPPORTED_CLIENT | FORBIDDEN (account) | disabled: "…sign in with the antigravity profile" | 502 |
| 403 SUBSCRIPTION_REQUIRED / SERVICE_DISABLED | AUTH_EXPIRED the first time (`project_refused`): the project is discovered again and the account tried once more; FORBIDDEN (account) if that finds no other | disabled with what to fix | 502 |
| 404 "Requested entity was not found." on a model call | NOT_FOUND (account), unless the request names a resource (`model_not_offered`) | (account, model) skipped for not_found_cooldown_seconds | 404 |
| 401 | AUTH_EXPIRED (always the account's) | credential refreshed, the account tried once more | 502 if that fails too |
| 400 | BAD_REQUEST | nothing, no rotation | 400 with Google's message |
"""

from __future__ import annotations

import re
import time
from datetime import datetime
from urllib.parse import urlsplit

from ...errors import Cause, Failure, Scope, UpstreamError
from ..google_errors import _error_object, classify
from .settings import CodeAssistSettings

# The ToS ban texts (§8.2; sub2api #563, Antigravity-Manager #1883, gemini-cli #19566).
_TOS = re.compile(r"has been disabled in this account for violation of Terms of Service", re.IGNORECASE)


def _details(err: dict) -> list[dict]:
    return [d for d in err.get("details") or () if isinstance(d, dict)]


def _metadata(err: dict) -> dict:
    """The first ErrorInfo's metadata (quotaResetTimeStamp, validation_url, model, ...)."""
    for d in _details(err):
        if str(d.get("@type", "")).endswith("ErrorInfo") and isinstance(d.get("metadata"), dict):
            return d["metadata"]
    return {}


def validation_url(err: dict) -> str | None:
    """Where the user verifies the account: ErrorInfo `metadata.validation_url`, else the first Help link
    (§8.2; the Gemini CLI reads Help.links[0].url, then metadata.validation_link)."""
    meta = _metadata(err)
    for key in ("validation_url", "validationUrl", "validation_link"):
        if isinstance(meta.get(key), str) and meta[key]:
            return meta[key]
    for d in _details(err):
        if str(d.get("@type", "")).endswith("Help"):
            for link in d.get("links") or ():
                if isinstance(link, dict) and isinstance(link.get("url"), str):
                    return link["url"]
    return None


def _reset_in(meta: dict, now: float) -> float | None:
    """Seconds until ErrorInfo `metadata.quotaResetTimeStamp` (RFC 3339), None when absent or unreadable."""
    stamp = meta.get("quotaResetTimeStamp")
    if not isinstance(stamp, str):
        return None
    try:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp() - now
    except ValueError:
        return None


def _google_https(url: str) -> bool:
    """Whether `url` is an https link on a Google host (google.com or a subdomain), the only kind of
    verification link Google sends (accounts.google.com, support.google.com; §8.2)."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        return False
    return parts.scheme == "https" and (host == "google.com" or host.endswith(".google.com")) and not any(
        c.isspace() or ord(c) < 32 for c in url)


def verification_message(url: str | None, text: str) -> str:
    """The account-state reason for VALIDATION_REQUIRED: what the operator does first (the pool keeps 300
    characters of a reason), then what Google said. A link that is not https on a Google host (a
    `javascript:` one, say) is not passed on to the operator to open: dropped, saying so."""
    if url and not _google_https(url):
        where = ("sign in to this account in a browser (the verification link in Google's answer was dropped: "
                 "not an https link on a Google host)")
    elif url:
        where = f"open {url} in a browser signed in as this account"
    else:
        where = "sign in to this account in a browser"
    return f"needs verification: {where}, verify, then `gemgate accounts enable <name>` (Google: {text.strip()})"


def unsupported_client_message(said: str, profile: str | None = None) -> str:
    """The account-state reason for UNSUPPORTED_CLIENT, whether loadCodeAssist's `ineligibleTiers` said it or a
    403 did (the Gemini CLI client serves licensed accounts only since June 2026, §3.1, §9): what to run, then
    what Google said."""
    through = f"the {profile} profile" if profile else "this profile"
    return (f"not eligible through {through}: sign in with the antigravity profile instead "
            f"(`gemgate login --profile antigravity`) (Google: {said.strip()})")


def classifier(settings: CodeAssistSettings):
    """A `classify(status, body)` for HttpClient that applies this kind's taxonomy (module docstring)."""

    def classify_code_assist(status: int, body: bytes) -> UpstreamError:
        """`google_errors.classify`, refined by the Code Assist reason and message."""
        error = classify(status, body)
        err = _error_object(body)
        reason = error.reason
        if reason in ("MODEL_CAPACITY_EXHAUSTED", "MODEL_CAPACITY_EXCEEDED"):
            error.failure, error.retry_after = Failure.CAPACITY, None  # never the account's fault
        elif status == 429 and reason == "RATE_LIMIT_EXCEEDED":
            if error.retry_after is not None and error.retry_after > settings.rate_limit_as_quota_seconds:
                error.failure = Failure.QUOTA_EXHAUSTED
        if error.failure is Failure.QUOTA_EXHAUSTED:
            reset = _reset_in(_metadata(err), time.time())
            wait = reset if reset is not None and reset > 0 else error.retry_after
            error.retry_after = None if wait is None else min(wait, settings.quota_cooldown_cap_seconds)
        if status == 401:
            error.cause = Cause.ACCOUNT  # only the OAuth token gets a 401 here; no request content can
        if status == 403:
            if _TOS.search(error.message):
                error.message = (
                    "banned: Google disabled Gemini for this account (Terms of Service); it stays disabled, and "
                    f"after a successful appeal `gemgate accounts enable <name>` (Google: {error.message})"
                )
            elif reason == "VALIDATION_REQUIRED":
                error.message = verification_message(validation_url(err), error.message)
            elif reason == "UNSUPPORTED_CLIENT":
                error.message = unsupported_client_message(error.message)
            elif reason == "SUBSCRIPTION_REQUIRED":
                error.message = (
                    "no Code Assist licence for this project: add the account with a licensed project "
                    f"(`gemgate accounts add-oauth … --project ID`) or use the antigravity profile (Google: {error.message})"
                )
            elif reason == "SERVICE_DISABLED":
                error.message = (
                    "the Code Assist API is disabled in this account's project: enable it there, or add the account "
                    f"without --project so its managed project is used (Google: {error.message})"
                )
        return error

    return classify_code_assist


def short_wait(error: UpstreamError, settings: CodeAssistSettings) -> float | None:
    """Seconds to wait before trying the same account again for a short RATE_LIMIT_EXCEEDED (with 0.8 s
    of margin, as CLIProxyAPI adds, §8.3), None when the error is not one."""
    if error.failure is Failure.RATE_LIMITED and error.reason == "RATE_LIMIT_EXCEEDED":
        if error.retry_after is not None and error.retry_after <= settings.retry_short_seconds:
            return error.retry_after + 0.8
    return None


def moves_to_next_host(error: UpstreamError) -> bool:
    """Whether a failure on one host is worth the next host of the profile: transport faults, timeouts,
    5xx, capacity and rate limits (quota is metered per deployment, §2.1); never an answer about the request
    or the account (400, 401, 403, 404)."""
    return error.failure in (
        Failure.TRANSIENT, Failure.TIMEOUT, Failure.CAPACITY, Failure.RATE_LIMITED, Failure.QUOTA_EXHAUSTED,
    )


# 403s about the project the account sends rather than the account (§8.2: SUBSCRIPTION_REQUIRED "wrong project
# (a user GCP project instead of the managed one)"; SERVICE_DISABLED "user project … problem"). §8.3 "Suggested
# mapping": "re-run project discovery once, then misconfigured".
PROJECT_REFUSALS = frozenset({"SUBSCRIPTION_REQUIRED", "SERVICE_DISABLED"})


def project_refused(error: UpstreamError, project: str) -> UpstreamError:
    """For a FORBIDDEN refusal of the account's project (`PROJECT_REFUSALS`): an AUTH_EXPIRED of the account,
    so the credential (whose project is part of it) is renewed, by discovery, before the account's next use
    and the account tried once more (failover.with_failover). Other errors are returned as they are."""
    if error.failure is not Failure.FORBIDDEN or error.reason not in PROJECT_REFUSALS:
        return error
    return UpstreamError(
        Failure.AUTH_EXPIRED, f"project {project} refused ({error.reason}): discovering the account's project again",
        status=error.status, scope=Scope.ACCOUNT, reason=error.reason, cause=Cause.ACCOUNT,
    )


def still_refused(refusal: UpstreamError, found: str | UpstreamError) -> UpstreamError:
    """The account error once discovery (for `refusal`'s project) found the same project (`found`, its id) or
    failed for the account (`found`, that error): the refusal's own advice, with what discovery said."""
    said = "it found the same one" if isinstance(found, str) else f"it failed: {found.message}"
    return UpstreamError(
        Failure.FORBIDDEN, f"project still refused after discovering it again ({said}): {refusal.message}",
        status=403, scope=Scope.ACCOUNT, reason=refusal.reason, cause=Cause.ACCOUNT,
    )


def _names_resource(request: dict) -> bool:
    """Whether the request refers to a stored resource (a cachedContent, a fileData that is not a URL) that a
    404 could be about instead of the model."""
    if request.get("cachedContent") or request.get("cached_content"):
        return True
    for content in request.get("contents") or ():
        for part in (content.get("parts") or ()) if isinstance(content, dict) else ():
            data = part.get("fileData") or part.get("file_data") if isinstance(part, dict) else None
            uri = str(data.get("fileUri") or data.get("file_uri") or "") if isinstance(data, dict) else ""
            if data is not None and not uri.startswith(("http://", "https://")):
                return True
    return False


def model_not_offered(error: UpstreamError, model: str, request: dict) -> UpstreamError:
    """A plain 404 ("Requested entity was not found.", status only) on a call for `model` is about the model:
    Code Assist answers it for a model not offered to this account or client version (§8.2, CLIProxyAPI commit
    a834917e8; the Gemini CLI maps any 404 to ModelNotFoundError, reference/codeassist-and-gemini-api.md A4).
    It becomes the account's NOT_FOUND, remembered per (account, model), unless the request names a resource
    the 404 could be about (then it stays as classified: UNCLEAR)."""
    if error.failure is not Failure.NOT_FOUND or error.cause is not Cause.UNCLEAR or _names_resource(request):
        return error
    error.cause = Cause.ACCOUNT
    error.message = (
        f"Code Assist does not offer model '{model}' to this account or client version (Google: {error.message})"
    )
    return error

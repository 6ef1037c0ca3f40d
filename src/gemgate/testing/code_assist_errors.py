"""Cloud Code Assist (cloudcode-pa v1internal) error bodies, one builder per row of antigravity.md §8.2.

Every builder returns a `GoogleApiError` (the google.rpc.Status shape of §8.1). Durations follow the
captures: RetryInfo.retryDelay in proto form ("0.479417207s"), ErrorInfo metadata.quotaResetDelay in Go
form ("2h37m22.776060443s", "479.417207ms"), quotaResetTimeStamp RFC 3339 in UTC.

`directive_error` reads the Code Assist flavours of the fake model's FAIL directive:
``FAIL[-ONCE] <status> <REASON> [<delay>]`` with REASON one of `REASONS` and delay like ``7s``, ``500ms``,
``166h`` or a bare number of seconds.
"""

from __future__ import annotations

import re
import time
from datetime import datetime, timezone

from gemgate.testing.gemini_errors import GoogleApiError, injected_failure

DOMAIN = "cloudcode-pa.googleapis.com"
_TYPE = "type.googleapis.com/google.rpc."
DEFAULT_DELAY = 1.0  # seconds; small so clients that honour it do not sleep (reference A4, checklist 6)

# 401 wording: Google's standard message (reference A4; antigravity.md §8.2).
UNAUTHENTICATED = (
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid "
    "authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project."
)
CREDENTIALS_MISSING = (
    "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other "
    "valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project."
)
# Wei-Shaw/sub2api#563; lbjlaq/Antigravity-Manager#1883 (antigravity.md §8.2).
TOS_BANNED = (
    "Gemini has been disabled in this account for violation of Terms of Service. If you believe this is an "
    "error, please contact Google Cloud Support, or email gemini-code-assist-user-feedback@google.com."
)
# Digital-Process-Tools/claude-remember#532; google-gemini/gemini-cli#28229 (antigravity.md §3.1).
UNSUPPORTED_CLIENT = (
    "This client is no longer supported for Gemini Code Assist for individuals. To continue using Gemini, "
    "please migrate to the Antigravity suite of products: https://antigravity.google"
)
# su-kaka/gcli2api#382; lbjlaq/Antigravity-Manager#1342 (antigravity.md §8.2).
VERIFY_ACCOUNT = "Verify your account to continue."
VALIDATION_LEARN_MORE = "https://support.google.com/accounts?p=al_alert"
# router-for-me/CLIProxyAPI#907; google-gemini/gemini-cli#19472 (the elided middle of the quote is left out).
SUBSCRIPTION_REQUIRED = (
    "You are currently configured to use a Google Cloud Project but lack a Gemini Code Assist license. (#3501)"
)
LICENSE_HELP = "https://developers.google.com/gemini-code-assist/docs/codeassist/request-license"
NOT_FOUND = "Requested entity was not found."  # CLIProxyAPI commit a834917e8 (antigravity.md §8.2)

REASONS = ("RATE_LIMIT_EXCEEDED", "QUOTA_EXHAUSTED", "MODEL_CAPACITY_EXHAUSTED", "RESOURCE_EXHAUSTED",
           "INSUFFICIENT_G1_CREDITS_BALANCE", "VALIDATION_REQUIRED", "TOS", "SUBSCRIPTION_REQUIRED",
           "SERVICE_DISABLED", "UNSUPPORTED_CLIENT", "UNAUTHENTICATED", "NOT_FOUND", "INVALID_ARGUMENT")

_DIRECTIVE_RE = re.compile(
    r"^[ \t]*FAIL(-ONCE)?[ \t]+(\d{3})[ \t]+([A-Z_0-9]+)(?:[ \t]+(\d+(?:\.\d+)?)(ms|s|m|h)?)?[ \t]*$", re.M)
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


def go_duration(seconds: float) -> str:
    """Go's time.Duration.String(): "479.417207ms", "7s", "2h37m22.776060443s"."""
    if seconds <= 0:
        return "0s"
    if seconds < 1:
        return f"{seconds * 1000:.6f}".rstrip("0").rstrip(".") + "ms"
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{secs:.9f}".rstrip("0").rstrip(".") + "s"
    if hours >= 1:
        return f"{int(hours)}h{int(minutes)}m{text}"
    if minutes >= 1:
        return f"{int(minutes)}m{text}"
    return text


def proto_duration(seconds: float) -> str:
    """google.protobuf.Duration JSON: "0.479417207s", "47s"."""
    return f"{max(seconds, 0):.9f}".rstrip("0").rstrip(".") + "s"


def timestamp(epoch: float) -> str:
    """RFC 3339 UTC, second precision, as quotaResetTimeStamp and resetTime are written."""
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _whole(seconds: float) -> str:
    """The delay as the message shows it: whole seconds in Go form ("2h37m22s", "0s")."""
    return go_duration(float(int(seconds)))


def _quota_info(reason: str, model: str, delay: float) -> list[dict]:
    return [
        {"@type": _TYPE + "ErrorInfo", "reason": reason, "domain": DOMAIN, "metadata": {
            "uiMessage": "true", "model": model, "quotaResetDelay": go_duration(delay),
            "quotaResetTimeStamp": timestamp(time.time() + delay)}},
        {"@type": _TYPE + "RetryInfo", "retryDelay": proto_duration(delay)},
    ]


def rate_limit_exceeded(model: str, delay: float = DEFAULT_DELAY) -> GoogleApiError:
    """429 RATE_LIMIT_EXCEEDED + RetryInfo (CLIProxyAPI antigravity_executor_credits_test.go, §8.2)."""
    message = f"You have exhausted your capacity on this model. Your quota will reset after {_whole(delay)}."
    return GoogleApiError(429, message, _quota_info("RATE_LIMIT_EXCEEDED", model, delay))


def quota_exhausted(model: str, delay: float = DEFAULT_DELAY) -> GoogleApiError:
    """429 QUOTA_EXHAUSTED (Antigravity-Manager#541; reference A4 issue #13004)."""
    message = f"You have exhausted your capacity on this model. Your quota will reset after {_whole(delay)}."
    return GoogleApiError(429, message, _quota_info("QUOTA_EXHAUSTED", model, delay))


def capacity_exhausted(model: str, status: int = 503, delay: float | None = None) -> GoogleApiError:
    """503 (also seen as 429) MODEL_CAPACITY_EXHAUSTED: "No capacity available for model X on the server"
    (CLIProxyAPI antigravity_executor_credits_test.go; gemini-cli googleQuotaErrors.test fixtures)."""
    details: list[dict] = [{"@type": _TYPE + "ErrorInfo", "reason": "MODEL_CAPACITY_EXHAUSTED", "domain": DOMAIN,
                            "metadata": {"model": model}}]
    if delay is not None:
        details.append({"@type": _TYPE + "RetryInfo", "retryDelay": proto_duration(delay)})
    return GoogleApiError(status, f"No capacity available for model {model} on the server", details)


def resource_exhausted() -> GoogleApiError:
    """A bare 429 without details (antigravity.md §8.2)."""
    return GoogleApiError(429, "Resource has been exhausted (e.g. check quota).")


def insufficient_credits(model: str) -> GoogleApiError:
    """429 INSUFFICIENT_G1_CREDITS_BALANCE (§7.3; the message is not captured, this one is the fake's)."""
    return GoogleApiError(429, "Insufficient Google One AI credits balance.", [
        {"@type": _TYPE + "ErrorInfo", "reason": "INSUFFICIENT_G1_CREDITS_BALANCE", "domain": DOMAIN,
         "metadata": {"model": model}}])


def validation_required(url: str) -> GoogleApiError:
    """403 VALIDATION_REQUIRED with the verify URL in metadata and as the first Help link (the Gemini CLI
    reads Help.links[0].url, then metadata.validation_link: antigravity.md §8.2, reference A4)."""
    return GoogleApiError(403, VERIFY_ACCOUNT, [
        {"@type": _TYPE + "ErrorInfo", "reason": "VALIDATION_REQUIRED", "domain": DOMAIN, "metadata": {
            "validation_error_message": VERIFY_ACCOUNT, "validation_url_link_text": "Verify your account",
            "validation_url": url, "validation_learn_more_url": VALIDATION_LEARN_MORE}},
        {"@type": _TYPE + "Help", "links": [{"description": "Verify your account", "url": url},
                                            {"description": "Learn more", "url": VALIDATION_LEARN_MORE}]},
    ])


def tos_banned() -> GoogleApiError:
    """403 with the ToS text and no details, as the reports quote it."""
    return GoogleApiError(403, TOS_BANNED)


def unsupported_client() -> GoogleApiError:
    """403 for the Gemini CLI client on a consumer account since 2026-06-18 (§3.1, §9). The reports quote
    the message from loadCodeAssist.ineligibleTiers; the status and reason on other RPCs are the fake's."""
    return GoogleApiError(403, UNSUPPORTED_CLIENT, [
        {"@type": _TYPE + "ErrorInfo", "reason": "UNSUPPORTED_CLIENT", "domain": DOMAIN}])


def subscription_required() -> GoogleApiError:
    """403 SUBSCRIPTION_REQUIRED, domain cloudaicompanion.googleapis.com, with the licence Help link."""
    return GoogleApiError(403, SUBSCRIPTION_REQUIRED, [
        {"@type": _TYPE + "ErrorInfo", "reason": "SUBSCRIPTION_REQUIRED", "domain": "cloudaicompanion.googleapis.com"},
        {"@type": _TYPE + "Help", "links": [{"description": "Request a license", "url": LICENSE_HELP}]},
    ])


def service_disabled(project: str) -> GoogleApiError:
    """403 SERVICE_DISABLED (lbjlaq/Antigravity-Manager#3074; reference A4 issue #1343 for the metadata)."""
    url = f"https://console.developers.google.com/apis/api/cloudcode-pa.googleapis.com/overview?project={project}"
    message = (f"Cloud Code Private API has not been used in project {project} before or it is disabled. Enable it "
               f"by visiting {url} then retry. If you enabled this API recently, wait a few minutes for the action "
               "to propagate to our systems and retry.")
    return GoogleApiError(403, message, [
        {"@type": _TYPE + "ErrorInfo", "reason": "SERVICE_DISABLED", "domain": "googleapis.com", "metadata": {
            "service": DOMAIN, "consumer": f"projects/{project}", "containerInfo": project,
            "serviceTitle": "Cloud Code Private API", "activationUrl": url}},
        {"@type": _TYPE + "Help", "links": [{"description": "Google developers console API activation",
                                             "url": url}]},
    ])


def consumer_invalid(project: str) -> GoogleApiError:
    """403 CONSUMER_INVALID for a project the caller may not use (reference A4, cline/cline#4526)."""
    return GoogleApiError(403, f"Permission denied on resource project {project}.", [
        {"@type": _TYPE + "ErrorInfo", "reason": "CONSUMER_INVALID", "domain": "googleapis.com",
         "metadata": {"consumer": f"projects/{project}", "service": DOMAIN}}])


def unauthenticated(reason: str, method: str) -> GoogleApiError:
    """401 UNAUTHENTICATED; reason CREDENTIALS_MISSING, ACCESS_TOKEN_EXPIRED or ACCESS_TOKEN_TYPE_UNSUPPORTED
    (reference A4: generic Google behaviour, exact cloudcode-pa details uncertain)."""
    message = CREDENTIALS_MISSING if reason == "CREDENTIALS_MISSING" else UNAUTHENTICATED
    return GoogleApiError(401, message, [
        {"@type": _TYPE + "ErrorInfo", "reason": reason, "domain": "googleapis.com",
         "metadata": {"service": DOMAIN, "method": method}}])


def insufficient_scopes(method: str) -> GoogleApiError:
    """403 ACCESS_TOKEN_SCOPE_INSUFFICIENT: a token without the cloud-platform scope (Google's standard answer)."""
    return GoogleApiError(403, "Request had insufficient authentication scopes.", [
        {"@type": _TYPE + "ErrorInfo", "reason": "ACCESS_TOKEN_SCOPE_INSUFFICIENT", "domain": "googleapis.com",
         "metadata": {"service": DOMAIN, "method": method}}])


def not_found() -> GoogleApiError:
    """404 "Requested entity was not found." (model not offered to this client version or account)."""
    return GoogleApiError(404, NOT_FOUND)


def by_reason(reason: str, status: int | None, model: str, delay: float | None, *,
              validation_url: str = "https://accounts.google.com/signin/continue?sarp=1&scc=1&plt=fake",
              project: str = "fake-project") -> GoogleApiError:
    """The error of `reason` (one of `REASONS`; empty for the plain one of `status`: 429 RATE_LIMIT_EXCEEDED,
    404 NOT_FOUND, others Google's canonical message)."""
    d = DEFAULT_DELAY if delay is None else delay
    builders = {
        "RATE_LIMIT_EXCEEDED": lambda: rate_limit_exceeded(model, d),
        "QUOTA_EXHAUSTED": lambda: quota_exhausted(model, d),
        "MODEL_CAPACITY_EXHAUSTED": lambda: capacity_exhausted(model, status or 503, delay),
        "RESOURCE_EXHAUSTED": resource_exhausted,
        "INSUFFICIENT_G1_CREDITS_BALANCE": lambda: insufficient_credits(model),
        "VALIDATION_REQUIRED": lambda: validation_required(validation_url),
        "TOS": tos_banned,
        "SUBSCRIPTION_REQUIRED": subscription_required,
        "SERVICE_DISABLED": lambda: service_disabled(project),
        "UNSUPPORTED_CLIENT": unsupported_client,
        "UNAUTHENTICATED": lambda: unauthenticated("ACCESS_TOKEN_EXPIRED", ""),
        "NOT_FOUND": not_found,
        "INVALID_ARGUMENT": lambda: GoogleApiError(400, "Request contains an invalid argument."),
    }
    if reason in builders:
        error = builders[reason]()
        if status is not None and status != error.code and reason != "MODEL_CAPACITY_EXHAUSTED":
            error = GoogleApiError(status, error.message, error.details)
        return error
    if reason:
        # A form of the Gemini API fake (fake_model's FAIL <status> <FORM>) has no Code Assist body.
        return GoogleApiError(500, f"[fake] FAIL {status} {reason}: no such Code Assist form (known: {REASONS})")
    if status == 429:
        return rate_limit_exceeded(model, d)  # a plain `FAIL 429 [secs]`: cloudcode's short throttle
    if status == 404:
        return not_found()
    return injected_failure(status or 500, model, delay)


def directive_error(prompt: str, first_attempt: bool) -> tuple[int, str, float | None, bool] | None:
    """(status, REASON, delay seconds or None, once) of the first Code Assist FAIL directive in `prompt`."""
    match = _DIRECTIVE_RE.search(prompt)
    if match is None or match.group(3) not in REASONS:
        return None
    once = match.group(1) is not None
    if once and not first_attempt:
        return None
    delay = float(match.group(4)) * _UNITS[match.group(5)] if match.group(4) else None
    return int(match.group(2)), match.group(3), delay, once

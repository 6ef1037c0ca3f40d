"""Google-shaped error bodies: ``{"error": {code, message, status, details?}}``.

Messages are copied from real Google responses (captures, user reports); see
the report of the fake for which ones could not be verified.
"""

from __future__ import annotations

from typing import Any

STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    402: "RESOURCE_EXHAUSTED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}

_GENERIC_MESSAGES = {
    400: "Request contains an invalid argument.",
    401: (
        "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie "
        "or other valid authentication credential. See "
        "https://developers.google.com/identity/sign-in/web/devconsole-project."
    ),
    403: "The caller does not have permission",
    404: "Requested entity was not found.",
    409: "The operation was aborted.",
    499: "The operation was cancelled.",
    500: (
        "An internal error has occurred. Please retry or report in "
        "https://developers.generativeai.google/guide/troubleshooting"
    ),
    501: "Method not implemented.",
    503: "The model is overloaded. Please try again later.",
    504: "Deadline expired before operation could complete.",
}

_TYPE = "type.googleapis.com/google.rpc."
RATE_LIMIT_DOCS = "https://ai.google.dev/gemini-api/docs/rate-limits"


class GoogleApiError(Exception):
    def __init__(self, code: int, message: str, details: list[dict[str, Any]] | None = None,
                 status: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status or STATUS_NAMES.get(code, "UNKNOWN")
        self.details = details

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message, "status": self.status}
        if self.details:
            error["details"] = self.details
        return {"error": error}


def bad_request(message: str, violations: list[dict[str, str]] | None = None) -> GoogleApiError:
    details = [{"@type": _TYPE + "BadRequest", "fieldViolations": violations}] if violations else None
    return GoogleApiError(400, message, details)


def unregistered_caller() -> GoogleApiError:
    return GoogleApiError(
        403,
        "Method doesn't allow unregistered callers (callers without established identity). "
        "Please use API Key or other form of API consumer identity to call this API.",
    )


def api_key_invalid() -> GoogleApiError:
    message = "API key not valid. Please pass a valid API key."
    return GoogleApiError(400, message, [
        {"@type": _TYPE + "ErrorInfo", "reason": "API_KEY_INVALID", "domain": "googleapis.com",
         "metadata": {"service": "generativelanguage.googleapis.com"}},
        {"@type": _TYPE + "LocalizedMessage", "locale": "en-US", "message": message},
    ])


def access_token_type_unsupported(method: str) -> GoogleApiError:
    """An API key sent as `Authorization: Bearer <key>`: Google reads a Bearer value as an OAuth access token
    and answers 401 ACCESS_TOKEN_TYPE_UNSUPPORTED. Body as quoted in xalgorix/xalgorix#2; the same 401 for a
    key that works as `x-goog-api-key` or `?key=` is measured in NousResearch/hermes-agent#62259 and
    Achuan-2/siyuan-plugin-copilot#129. `method` is the RPC, e.g.
    "google.ai.generativelanguage.v1beta.GenerativeService.GenerateContent".
    """
    return GoogleApiError(401, _GENERIC_MESSAGES[401], [
        {"@type": _TYPE + "ErrorInfo", "reason": "ACCESS_TOKEN_TYPE_UNSUPPORTED",
         "metadata": {"method": method, "service": "generativelanguage.googleapis.com"}},
    ])


def api_key_revoked() -> GoogleApiError:
    return GoogleApiError(403, "Your API key was reported as leaked. Please use another API key.")


def model_not_found(model: str, api_version: str, method: str) -> GoogleApiError:
    message = (
        f"models/{model} is not found for API version {api_version}, or is not supported for {method}. "
        "Call ListModels to see the list of available models and their supported methods."
    )
    debug = (
        f"[ORIGINAL ERROR] generic::not_found: {message} "
        f'[google.rpc.error_details_ext] {{ message: "{message}" }}'
    )
    return GoogleApiError(404, message, [{"@type": _TYPE + "DebugInfo", "detail": debug}])


def quota_exhausted(model: str, retry_delay: float) -> GoogleApiError:
    message = (
        "You exceeded your current quota, please check your plan and billing details. For more "
        f"information on this error, head to: {RATE_LIMIT_DOCS}. To monitor your current usage, head "
        "to: https://ai.dev/usage?tab=rate-limit. \n* Quota exceeded for metric: "
        "generativelanguage.googleapis.com/generate_content_free_tier_requests, limit: 10, "
        f"model: {model}\nPlease retry in {retry_delay:g}s."
    )
    return GoogleApiError(429, message, [
        {"@type": _TYPE + "QuotaFailure", "violations": [{
            "quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests",
            "quotaId": "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
            "quotaDimensions": {"location": "global", "model": model},
            "quotaValue": "10",
        }]},
        {"@type": _TYPE + "Help", "links": [
            {"description": "Learn more about Gemini API quotas", "url": RATE_LIMIT_DOCS}]},
        {"@type": _TYPE + "RetryInfo", "retryDelay": f"{retry_delay:g}s"},
    ])


def injected_failure(code: int, model: str, retry_delay: float | None) -> GoogleApiError:
    """The error a `FAIL <code>` prompt asks for."""
    if code == 429:
        return quota_exhausted(model, retry_delay if retry_delay is not None else 1.0)
    return GoogleApiError(code, _GENERIC_MESSAGES.get(code, "Unknown error."))

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
    """A key Google found published: 403 with no details (message as users report it)."""
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


def _error_info(reason: str, metadata: dict[str, str]) -> dict[str, Any]:
    return {"@type": _TYPE + "ErrorInfo", "reason": reason, "domain": "googleapis.com", "metadata": metadata}


def _localized(message: str) -> dict[str, Any]:
    return {"@type": _TYPE + "LocalizedMessage", "locale": "en-US", "message": message}


PROJECT = "projects/177838813423"  # a project number of the shape Google puts in `consumer`


def api_key_service_blocked(rpc: str) -> GoogleApiError:
    """A key restricted to other APIs: 403 API_KEY_SERVICE_BLOCKED, body as quoted in continuedev/continue#12781.
    `rpc` is the method, e.g. google.ai.generativelanguage.v1beta.GenerativeService.StreamGenerateContent."""
    message = f"Requests to this API generativelanguage.googleapis.com method {rpc} are blocked."
    return GoogleApiError(403, message, [
        _error_info("API_KEY_SERVICE_BLOCKED", {"consumer": PROJECT, "service": "generativelanguage.googleapis.com",
                                                "apiName": "generativelanguage.googleapis.com", "methodName": rpc}),
        _localized(message),
    ])


def service_disabled() -> GoogleApiError:
    """The key's project has the Generative Language API off: 403 SERVICE_DISABLED with a Help link, as printed
    in google-gemini/deprecated-generative-ai-python#10 (reference §A4 shows the same for Code Assist)."""
    number = PROJECT.split("/")[1]
    url = f"https://console.developers.google.com/apis/api/generativelanguage.googleapis.com/overview?project={number}"
    message = (
        f"Generative Language API has not been used in project {number} before or it is disabled. Enable it by "
        f"visiting {url} then retry. If you enabled this API recently, wait a few minutes for the action to "
        "propagate to our systems and retry."
    )
    return GoogleApiError(403, message, [
        {"@type": _TYPE + "Help", "links": [{"description": "Google developers console API activation", "url": url}]},
        _error_info("SERVICE_DISABLED", {"consumer": PROJECT, "service": "generativelanguage.googleapis.com"}),
    ])


def consumer_suspended(key: str = "[elided]") -> GoogleApiError:
    """A suspended key: 403 CONSUMER_SUSPENDED. Google echoes the key itself, in the message, in
    ErrorInfo.metadata.containerInfo and in the LocalizedMessage (google/generative-ai-docs#356;
    continuedev/continue#10902 shows containerInfo and the LocalizedMessage). `key`: the key to echo."""
    message = f"Permission denied: Consumer 'api_key:{key}' has been suspended."
    return GoogleApiError(403, message, [
        _error_info("CONSUMER_SUSPENDED", {"service": "generativelanguage.googleapis.com", "consumer": PROJECT,
                                           "containerInfo": f"api_key:{key}"}),
        _localized(message),
    ])


def file_permission_denied(file_id: str = "abc123xyz") -> GoogleApiError:
    """A fileData the key cannot read (another project's, or gone): 403 with no details, message as quoted in
    googleapis/python-genai#1218 and google-gemini/deprecated-generative-ai-python#692."""
    return GoogleApiError(403, f"You do not have permission to access the File {file_id} or it may not exist.")


def cached_content_denied() -> GoogleApiError:
    """A cachedContent the key cannot use: 403 "CachedContent not found (or permission denied)", the text client
    code matches (several public code bases test for exactly it)."""
    return GoogleApiError(403, "CachedContent not found (or permission denied)")


def free_tier_unavailable() -> GoogleApiError:
    """400 FAILED_PRECONDITION, free tier not offered in the key's country (ai.google.dev/gemini-api/docs/
    troubleshooting, reference §B2)."""
    return GoogleApiError(
        400,
        "Gemini API free tier is not available in your country. Please enable billing on your project in Google AI "
        "Studio.",
        status="FAILED_PRECONDITION",
    )


def access_token_expired(rpc: str) -> GoogleApiError:
    """An expired OAuth access token: 401 with ErrorInfo ACCESS_TOKEN_EXPIRED (the generic Google form; reference
    §A4 marks the exact details uncertain for cloudcode-pa)."""
    return GoogleApiError(401, _GENERIC_MESSAGES[401], [
        _error_info("ACCESS_TOKEN_EXPIRED", {"method": rpc, "service": "generativelanguage.googleapis.com"}),
    ])


def injected_failure(code: int, model: str, retry_delay: float | None, form: str | None = None,
                     rpc: str = "google.ai.generativelanguage.v1beta.GenerativeService.GenerateContent"
                     ) -> GoogleApiError:
    """The error a `FAIL <code> [FORM]` prompt asks for (the forms are listed in fake_model's docstring).

    Without a form: 429 is the free-tier quota body, 404 the model-not-found body of the js-genai recording,
    and every other code Google's canonical message with no details (a 403 "The caller does not have
    permission", a 401 "Request had invalid authentication credentials…", as real answers without a reason
    look). Raises ValueError for a form this code does not have.
    """
    if form is None:
        if code == 429:
            return quota_exhausted(model, retry_delay if retry_delay is not None else 1.0)
        if code == 404:
            return model_not_found(model, rpc.split(".")[3], "generateContent")
        return GoogleApiError(code, _GENERIC_MESSAGES.get(code, "Unknown error."))
    forms = {
        (400, "API_KEY_INVALID"): api_key_invalid,
        (400, "FAILED_PRECONDITION"): free_tier_unavailable,
        (401, "ACCESS_TOKEN_EXPIRED"): lambda: access_token_expired(rpc),
        (401, "ACCESS_TOKEN_TYPE_UNSUPPORTED"): lambda: access_token_type_unsupported(rpc),
        (403, "API_KEY_SERVICE_BLOCKED"): lambda: api_key_service_blocked(rpc),
        (403, "SERVICE_DISABLED"): service_disabled,
        (403, "CONSUMER_SUSPENDED"): consumer_suspended,
        (403, "LEAKED"): api_key_revoked,
        (403, "PERMISSION_DENIED"): file_permission_denied,
        (403, "CACHED_CONTENT"): cached_content_denied,
        (404, "ENTITY"): lambda: GoogleApiError(404, _GENERIC_MESSAGES[404]),
    }
    make = forms.get((code, form))
    if make is None:
        raise ValueError(f"FAIL {code} {form}: no such form (known: {sorted(forms)})")
    return make()

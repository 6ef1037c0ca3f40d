"""Proto-JSON parsing of Code Assist request bodies, and the per-profile client checks.

The v1internal messages wrap the Gemini GenerateContentRequest (`request`), so they are registered with
the Gemini API fake's parser: camelCase and snake_case both accepted, unknown names refused with
Google's wording (antigravity.md §3.1: "Proto-JSON accepts enum names or numbers and camelCase or
snake_case keys").
"""

from __future__ import annotations

import re
from typing import Any, Mapping

from gemgate.testing.gemini_errors import GoogleApiError, bad_request
from gemgate.testing.gemini_fields import MESSAGES, STRINGS, STRUCT, VALUE, F, S, parse_request, register_messages, to_snake

# Enum names of ClientMetadata (reference A2 from gemini-cli types.ts; ANTIGRAVITY and JETSKI from
# antigravity.md §3.1). Numbers are accepted too: their values are uncertain (§3.1), so any is taken.
IDE_TYPES = ("IDE_UNSPECIFIED", "VSCODE", "INTELLIJ", "VSCODE_CLOUD_WORKSTATION", "INTELLIJ_CLOUD_WORKSTATION",
             "CLOUD_SHELL", "GEMINI_CLI", "ANTIGRAVITY", "JETSKI")
PLATFORMS = ("PLATFORM_UNSPECIFIED", "DARWIN_AMD64", "DARWIN_ARM64", "LINUX_AMD64", "LINUX_ARM64", "WINDOWS_AMD64")
PLUGIN_TYPES = ("PLUGIN_UNSPECIFIED", "CLOUD_CODE", "GEMINI", "AIPLUGIN_INTELLIJ", "AIPLUGIN_STUDIO")
MODES = ("MODE_UNSPECIFIED", "FULL_ELIGIBILITY_CHECK", "HEALTH_CHECK")
_ENUM_FIELDS = {"ideType": IDE_TYPES, "platform": PLATFORMS, "pluginType": PLUGIN_TYPES}

_GENERATE = {
    # Antigravity spelling (§4.2) and Gemini CLI spelling (reference A3); both are one proto.
    "model": S, "project": S, "userPromptId": S, "userAgent": S, "requestType": S, "requestId": S,
    "enabledCreditTypes": STRINGS, "request": F("message", "CaInnerRequest"),
}
register_messages({
    "CaGenerateContentRequest": _GENERATE,
    "CaInnerRequest": {**MESSAGES["GenerateContentRequest"], "sessionId": S, "labels": STRUCT},
    "CaClientMetadata": {"ideType": VALUE, "ideVersion": S, "ideName": S, "platform": VALUE, "pluginType": VALUE,
                         "pluginVersion": S, "updateChannel": S, "duetProject": S},
    "CaLoadCodeAssistRequest": {"cloudaicompanionProject": S, "metadata": F("message", "CaClientMetadata"),
                                "mode": VALUE},
    "CaOnboardUserRequest": {"tierId": S, "cloudaicompanionProject": S,
                             "metadata": F("message", "CaClientMetadata")},
    "CaProjectRequest": {"project": S, "userAgent": S, "metadata": F("message", "CaClientMetadata")},
})

# The User-Agent forms of each profile (antigravity.md §2.2, §9; reference A4).
_UA_PATTERNS = {
    "antigravity": re.compile(r"^antigravity/"),
    "gemini-cli": re.compile(r"^(GeminiCLI(-[\w-]+)?/|CloudCodeVSCode/)"),
}
_ANTIGRAVITY_VERSION = re.compile(r"^antigravity/(?:hub/|cli/)?(\d+(?:\.\d+)*)", re.I)


def parse_body(body: Any, type_name: str) -> dict[str, Any]:
    """Normalise a v1internal body to camelCase, or raise Google's 400."""
    parsed = parse_request(body, type_name)
    metadata = parsed.get("metadata")
    if isinstance(metadata, dict):
        _check_enums(metadata)
    mode = parsed.get("mode")
    if mode is not None and not (isinstance(mode, int) and mode >= 0 or mode in MODES):
        raise _invalid_enum("mode", "LoadCodeAssistRequest.Mode", mode)
    return parsed


def _check_enums(metadata: Mapping[str, Any]) -> None:
    for name, allowed in _ENUM_FIELDS.items():
        value = metadata.get(name)
        if value is None or isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            continue
        if value not in allowed:
            raise _invalid_enum(f"metadata.{to_snake(name)}",
                                f"ClientMetadata.{name[0].upper()}{name[1:]}", value)


def _invalid_enum(path: str, enum: str, value: Any) -> GoogleApiError:
    message = (f"Invalid value at '{path}' (type.googleapis.com/google.internal.cloud.code.v1internal.{enum}), "
               f"\"{value}\"")
    return bad_request(message, [{"field": path, "description": message}])


def missing_project() -> GoogleApiError:
    """400 for an envelope without project, as captured (lbjlaq/Antigravity-Manager#1986, #2344)."""
    return bad_request("Invalid project resource name projects/",
                       [{"field": "name", "description": "Invalid project resource name"}])


def antigravity_version(user_agent: str) -> tuple[int, ...] | None:
    """The client version an Antigravity User-Agent reports (`antigravity/hub/2.9.1 darwin/arm64`)."""
    match = _ANTIGRAVITY_VERSION.match(user_agent or "")
    return tuple(int(p) for p in match.group(1).split(".")) if match else None


def version_tuple(text: str) -> tuple[int, ...]:
    """"2.9.0" -> (2, 9, 0)."""
    return tuple(int(p) for p in text.split("."))


def client_problems(profile: str, envelope: Mapping[str, Any], headers: Mapping[str, str],
                    rpc: str) -> list[str]:
    """What the profile's official client always sends but this request lacks (the fake's opt-out strict
    check, antigravity.md §11.7: "Header checks as opt-in assertions (UA format, no x-goog-user-project)").

    antigravity: User-Agent ``antigravity/...``; generation envelopes carry userAgent, requestType and,
    except web_search, requestId and request.sessionId (§4.2, §4.3). gemini-cli: User-Agent ``GeminiCLI...``;
    generation envelopes carry user_prompt_id and request.session_id (reference A3).
    """
    problems = []
    lowered = {k.lower(): v for k, v in headers.items()}
    if not _UA_PATTERNS[profile].match(lowered.get("user-agent", "")):
        problems.append(f"User-Agent {lowered.get('user-agent', '')!r} is not the {profile} client's")
    if "x-goog-user-project" in lowered:
        problems.append("x-goog-user-project is sent (it causes 403 SERVICE_DISABLED, antigravity.md §2.3)")
    if rpc not in ("generateContent", "streamGenerateContent"):
        return problems
    inner = envelope.get("request") or {}
    if profile == "antigravity":
        wanted = ["userAgent", "requestType"]
        if envelope.get("requestType") != "web_search":
            wanted.append("requestId")
            if not inner.get("sessionId"):
                problems.append("request.sessionId is missing")
    else:
        wanted = ["userPromptId"]
        if not inner.get("sessionId"):
            problems.append("request.session_id is missing")
    problems += [f"{name} is missing" for name in wanted if not envelope.get(name)]
    return problems

"""Project discovery and onboarding (reference/antigravity.md §3): `loadCodeAssist`, then, for an account
without a project, `onboardUser` and its long-running operation. Ineligible accounts become FORBIDDEN
account errors whose message says what the operator does (the pool disables the account with it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from ...errors import Cause, Failure, Scope, UpstreamError
from .errors import unsupported_client_message, verification_message
from .profiles import Profile
from .settings import CodeAssistSettings

# post(rpc, body) -> the JSON answer of `POST {host}/v1internal:{rpc}`; get(path) -> `GET {host}/v1internal/{path}`.
Post = Callable[[str, dict], Awaitable[dict]]
Get = Callable[[str], Awaitable[dict]]


def project_of(answer: dict) -> str | None:
    """The managed project in a loadCodeAssist answer or an onboarding result: `cloudaicompanionProject` as
    a string or `{id}` (§3.1, §3.2; CLIProxyAPI extractCloudaicompanionProject)."""
    value = answer.get("cloudaicompanionProject")
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


def _tier_id(value: object) -> str | None:
    if isinstance(value, str):
        return value or None  # paidTier may be a bare string (§3.1, sub2api)
    return value.get("id") if isinstance(value, dict) and isinstance(value.get("id"), str) else None


def tier_of(answer: dict) -> str | None:
    """The account's tier: `paidTier.id`, else `currentTier.id` (as most gateways read it, §3.1)."""
    return _tier_id(answer.get("paidTier")) or _tier_id(answer.get("currentTier"))


def ineligible(entry: dict, profile: str) -> UpstreamError:
    """The account error for an `ineligibleTiers` entry (§3.1): UNSUPPORTED_CLIENT says to use the Antigravity
    profile, VALIDATION_REQUIRED where to verify, any other reason Google's own message."""
    code = str(entry.get("reasonCode") or "UNKNOWN")
    said = str(entry.get("reasonMessage") or entry.get("validationErrorMessage") or "").strip()
    if code == "VALIDATION_REQUIRED":
        message = verification_message(entry.get("validationUrl"), said)
    elif code == "UNSUPPORTED_CLIENT":
        message = unsupported_client_message(said, profile)
    else:
        message = f"not eligible for Code Assist ({code}) (Google: {said})"
    return UpstreamError(Failure.FORBIDDEN, message, status=403, scope=Scope.ACCOUNT, reason=code)


def _default_tier(answer: dict) -> str:
    """The tier to onboard to: the `allowedTiers` entry marked isDefault, else "free-tier" (§3.2)."""
    for tier in answer.get("allowedTiers") or ():
        if isinstance(tier, dict) and tier.get("isDefault") and _tier_id(tier):
            return _tier_id(tier)
    return "free-tier"


async def discover(post: Post, get: Get, profile: Profile, settings: CodeAssistSettings) -> dict:
    """`{"project_id", "tier"}` for the signed-in account. Raises UpstreamError: FORBIDDEN (account) when it is
    not eligible or needs its own project, TRANSIENT (account, `onboarding_pending`) when onboarding did not finish within the polls."""
    answer = await post("loadCodeAssist", profile.load_body(None))
    project, tier = project_of(answer), tier_of(answer)
    if project:
        return {"project_id": project, "tier": tier}
    entries = [e for e in answer.get("ineligibleTiers") or () if isinstance(e, dict)]
    if answer.get("currentTier") and tier not in (None, "free-tier", "legacy-tier"):
        # A licensed tier works in the user's own GCP project, which Google does not hand out (§9 "project").
        raise UpstreamError(
            Failure.FORBIDDEN,
            f"the {tier} tier needs your own Google Cloud project: add the account with `--project ID`",
            status=403, scope=Scope.ACCOUNT, reason="PROJECT_REQUIRED",
        )
    if entries and not answer.get("allowedTiers"):
        raise ineligible(entries[0], profile.name)
    tier = _default_tier(answer)
    for entry in entries:
        if entry.get("tierId") == tier:
            raise ineligible(entry, profile.name)
    operation = await post("onboardUser", profile.onboard_body(tier))
    for _ in range(settings.onboard_polls):
        if operation.get("done"):
            project = project_of(operation.get("response") or {})
            if not project:
                break
            return {"project_id": project, "tier": tier}
        await asyncio.sleep(settings.onboard_poll_seconds)
        name = operation.get("name")
        # The Gemini CLI polls the operation (server.ts getOperation); gateways re-POST onboardUser.
        operation = await get(name) if isinstance(name, str) and name else await post("onboardUser", profile.onboard_body(tier))
    raise onboarding_pending(f"onboarding to Code Assist ({tier}) did not finish within {settings.onboard_polls} polls",
                             settings)


def onboarding_pending(why: str, settings: CodeAssistSettings) -> UpstreamError:
    """The account's TRANSIENT failure while its onboarding has not finished: caused by the account (others
    serve meanwhile), account-wide, with `onboard_retry_seconds` as the hint the pool cools it for."""
    return UpstreamError(
        Failure.TRANSIENT, f"onboarding not finished ({why}); asked again after the cooldown",
        scope=Scope.ACCOUNT, cause=Cause.ACCOUNT, retry_after=settings.onboard_retry_seconds, reason="ONBOARDING_PENDING",
    )

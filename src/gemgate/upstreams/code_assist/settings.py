"""`[upstreams.code_assist]`: every Google URL this kind calls, and per profile its hosts, client and versions,
so fakes, proxies and mirrors can stand in and a protocol drift is a config change.

    [upstreams.code_assist]
    token_url = "https://oauth2.googleapis.com/token"
    [upstreams.code_assist.profiles.antigravity]
    endpoints = ["https://daily-cloudcode-pa.googleapis.com", "https://cloudcode-pa.googleapis.com"]
    version = "2.9.1"

or GEMGATE_UPSTREAMS__CODE_ASSIST__PROFILES__GEMINI_CLI__ENDPOINTS='["http://127.0.0.1:9000"]' (a profile's
key may be written with `_` for `-`, as environment names need).
"""

from __future__ import annotations

import dataclasses

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..base import UpstreamSettings
from .profiles import PROFILES, Profile


class ProfileSettings(BaseModel):
    """Overrides of one profile's defaults (`profiles.Profile`); unset fields keep them. `endpoints` are base
    URLs in fallback order; `user_agent` may use `{version}` and `{model}`; `headers` replace the extra ones;
    `credits`: accounts without their own setting pay with Google One AI credits once their free quota is
    exhausted (reference/antigravity.md §7.3; off by default: credits cost money)."""

    model_config = ConfigDict(extra="forbid")

    endpoints: list[str] | None = Field(None, min_length=1)
    user_agent: str | None = None
    version: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    headers: dict[str, str] | None = None
    credits: bool | None = None


class CodeAssistSettings(UpstreamSettings):
    """`[upstreams.code_assist]`. URLs: Google's OAuth token, userinfo and authorization endpoints
    (reference/antigravity.md §1.1). Durations in seconds:

    `refresh_skew_seconds`: an access token (Google's last 3599 s) is refreshed when less than this is left.
    900 s (Antigravity-Manager's choice; CLIProxyAPI refreshes at 3000 s, i.e. every ten minutes): a request
    starting just before the line still has its first-byte timeout and failover attempts in hand, at a
    quarter of the token calls of the 3000 s choice.
    `quota_cooldown_cap_seconds`: a QUOTA_EXHAUSTED cools the (account, model) until Google's reset time, at
    most this long (weekly resets are 70-166 h away, §8.2); then its quota is read again before it serves (the
    gateway's `quota_recheck_seconds` caps every quota cooldown too).
    `retry_short_seconds`: a RATE_LIMIT_EXCEEDED asking to wait at most this long is waited out on the same
    account once; `rate_limit_as_quota_seconds`: one asking longer than this counts as exhausted quota
    (§8.3 "Suggested mapping": 3 s and 5 min).
    `onboard_poll_seconds` / `onboard_polls`: how often and how many times a pending onboardUser operation is
    asked again (gateways use 2-5 s and 5-10 attempts, §3.2). Onboarding runs in the background, one per
    account however many requests need it; a request waits for it at most `onboard_wait_seconds`, then goes
    to another account while this one cools for `onboard_retry_seconds` (reason "onboarding not finished …"),
    after which the finished result is taken or onboarding is asked again.
    `login_timeout_seconds`: how long a sign-in waits for the browser's callback (the Gemini CLI: 5 min, A1).
    """

    token_url: str = "https://oauth2.googleapis.com/token"
    userinfo_url: str = "https://www.googleapis.com/oauth2/v2/userinfo"
    auth_url: str = "https://accounts.google.com/o/oauth2/v2/auth"
    refresh_skew_seconds: float = Field(900.0, ge=0, le=3000)
    quota_cooldown_cap_seconds: float = Field(24 * 3600.0, gt=0)
    retry_short_seconds: float = Field(3.0, ge=0)
    rate_limit_as_quota_seconds: float = Field(300.0, gt=0)
    onboard_poll_seconds: float = Field(2.0, ge=0)
    onboard_polls: int = Field(10, ge=1, le=100)
    onboard_wait_seconds: float = Field(5.0, ge=0)
    onboard_retry_seconds: float = Field(60.0, gt=0)
    login_timeout_seconds: float = Field(300.0, gt=0)
    profiles: dict[str, ProfileSettings] = {}

    @field_validator("profiles", mode="before")
    @classmethod
    def _known_profiles(cls, value: object) -> object:
        if not isinstance(value, dict):
            return value
        named = {str(k).replace("_", "-"): v for k, v in value.items()}
        unknown = sorted(set(named) - set(PROFILES))
        if unknown:
            raise ValueError(f"unknown profile '{unknown[0]}'; known: {', '.join(sorted(PROFILES))}")
        return named

    def profile(self, name: str) -> Profile:
        """The profile `name` with this section's overrides applied. Raises KeyError for an unknown name."""
        base = PROFILES[name]
        given = self.profiles.get(name)
        if given is None:
            return base
        changes = {k: v for k, v in given.model_dump().items() if v is not None}
        if "endpoints" in changes:
            changes["endpoints"] = tuple(u.rstrip("/") for u in changes["endpoints"])
        return dataclasses.replace(base, **changes)

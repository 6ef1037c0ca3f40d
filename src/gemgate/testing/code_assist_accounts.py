"""Per-account scripts of the fake Code Assist: tier, project or onboarding, eligibility, quota.

An account is keyed by the e-mail behind the caller's access token. Everything here is plain state a
test may change between requests, e.g. ``account.banned = True`` or ``account.quota["gemini-3-flash"] = 0``.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field

from gemgate.testing.code_assist_catalog import CONSUMER_TIERS, MODELS_BY_PROFILE, PROJECT_TIERS, CaModel

MANAGED = "<managed>"  # project default: a generated managed project, already onboarded
FIVE_HOURS = 5 * 3600.0  # the quotaInfo window of fetchAvailableModels (antigravity.md §7.1)
WEEK = 7 * 24 * 3600.0
_ADJECTIVES = ("helpful", "rising", "bamboo", "bright", "steady", "quiet")
_NOUNS = ("perigee", "fact", "precept", "harbor", "meadow", "summit")


def managed_project_id(email: str) -> str:
    """A stable "adjective-noun-xxxxx" id, the shape of Google's managed projects (§3.1, §3.2)."""
    digest = hashlib.sha256(email.encode()).hexdigest()
    return f"{_ADJECTIVES[int(digest[0], 16) % 6]}-{_NOUNS[int(digest[1], 16) % 6]}-{digest[2:7]}"


@dataclass
class Failure:
    """An injected error: `reason` (code_assist_errors.REASONS) or a bare `status`, for `model` (None: any
    generation model), answered `times` times (None: until removed)."""

    reason: str | None
    status: int | None = None
    model: str | None = None
    delay: float | None = None
    times: int | None = 1


@dataclass
class CodeAssistAccount:
    """The script of one Google account.

    tier: effective tier id: consumer "free-tier" / "g1-pro-tier" / "g1-ultra-tier", or project-based
      "standard-tier" / "enterprise-tier" / "legacy-tier".
    project: the Code Assist project; `MANAGED` (default) = a generated one, already onboarded; None =
      not onboarded: loadCodeAssist has no currentTier and onboardUser runs an LRO.
    onboard_polls: how many polls answer done:false before done:true.
    validation_url: set -> VALIDATION_REQUIRED (loadCodeAssist ineligibleTiers, 403 on use).
    banned: the ToS ban (403 everywhere).
    licensed: False on a project tier -> 403 SUBSCRIPTION_REQUIRED on generation.
    credits: GOOGLE_ONE_AI credits (paidTier.availableCredits), None = no credit offer.
    models: the model ids this account sees (None: the whole catalogue of the caller's profile).
    quota: model id -> remaining fraction of the 5-hour window (default 1.0); `quota_step` is taken per
      generation; 0 -> 429 QUOTA_EXHAUSTED until `quota_reset_at`, when every model's 5h quota refills and
      the next window starts (`allow` sets a model to run out after N generations).
    weekly: family ("gemini", "3p") -> remaining fraction of the weekly bucket (default 1.0), taken
      `quota_step / 10` per generation; 0 pins the 5h bucket `disabled` (§7.2); refilled at `weekly_reset_at`.
    failures: injected errors, consumed in order (on every fake sharing this account).
    refused_projects: project id -> "SUBSCRIPTION_REQUIRED" or "SERVICE_DISABLED": a project this account
      names but may not use for Code Assist (a user GCP project without a licence, or with the API disabled,
      §8.2); calls naming it get that 403, whatever `project` is now.
    """

    email: str
    tier: str = "free-tier"
    project: str | None = MANAGED
    onboard_polls: int = 1
    validation_url: str | None = None
    banned: bool = False
    licensed: bool = True
    credits: int | None = None
    models: list[str] | None = None
    quota: dict[str, float] = field(default_factory=dict)
    quota_step: float = 0.01
    quota_reset_at: float = field(default_factory=lambda: time.time() + FIVE_HOURS)
    weekly: dict[str, float] = field(default_factory=dict)
    weekly_reset_at: float = field(default_factory=lambda: time.time() + WEEK)
    failures: list[Failure] = field(default_factory=list)
    refused_projects: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.project == MANAGED:
            self.project = managed_project_id(self.email) if self.tier not in PROJECT_TIERS else \
                f"my-gcp-project-{managed_project_id(self.email)[-5:]}"

    @property
    def consumer(self) -> bool:
        """A consumer (free / Google AI Pro / Ultra) account rather than a licensed project one."""
        return self.tier in CONSUMER_TIERS

    def visible_models(self, profile: str) -> list[CaModel]:
        """The catalogue of `profile` narrowed to `models` when set."""
        catalogue = MODELS_BY_PROFILE[profile]
        return [m for m in catalogue if self.models is None or m.id in self.models]

    def allow(self, model: str, generations: int, reset_in: float | None = None) -> None:
        """Let `model` serve `generations` more before its quota is exhausted (0: exhausted now); `reset_in`:
        seconds until the 5h window refills."""
        self.quota[model] = round(generations * self.quota_step, 6)
        if reset_in is not None:
            self.quota_reset_at = time.time() + reset_in

    def roll(self) -> None:
        """Refill the buckets whose reset time has come, as Google does at resetTime ("Your quota will reset
        after 2h37m22s.", §8.2; the 5-hour window of §7.1, the weekly one of §7.2)."""
        t = time.time()
        if t >= self.quota_reset_at:
            self.quota.clear()
            while self.quota_reset_at <= t:
                self.quota_reset_at += FIVE_HOURS
        if t >= self.weekly_reset_at:
            self.weekly.clear()
            while self.weekly_reset_at <= t:
                self.weekly_reset_at += WEEK

    def remaining(self, model: CaModel) -> float:
        """Remaining fraction of `model` (0 once its family's weekly bucket is empty)."""
        self.roll()
        if self.weekly.get(model.family, 1.0) <= 0:
            return 0.0
        return max(0.0, self.quota.get(model.id, 1.0))

    def reset_delay(self, model: CaModel) -> float:
        """Seconds until `model` can be used again."""
        self.roll()
        at = self.weekly_reset_at if self.weekly.get(model.family, 1.0) <= 0 else self.quota_reset_at
        return max(0.0, at - time.time())

    def spend(self, model: CaModel) -> None:
        """Take one generation from `model`'s 5h and weekly buckets."""
        self.roll()
        self.quota[model.id] = max(0.0, round(self.quota.get(model.id, 1.0) - self.quota_step, 6))
        self.weekly[model.family] = max(0.0, round(self.weekly.get(model.family, 1.0) - self.quota_step / 10, 6))


def take_failure(failures: list[Failure], model: str) -> Failure | None:
    """The first of `failures` for a generation on `model`, consumed by one."""
    for failure in failures:
        if failure.model in (None, model):
            if failure.times is not None:
                failure.times -= 1
                if failure.times <= 0:
                    failures.remove(failure)
            return failure
    return None

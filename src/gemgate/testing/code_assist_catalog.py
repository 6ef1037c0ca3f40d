"""Models and tiers of the fake Code Assist, per profile (values as the references list them).

Antigravity: the 2026-08-21 snapshot of CLIProxyAPI's models.json plus gemini-3.8-flash-high
(antigravity.md §5); limits from §5 (Gemini 1,048,576 / 65,536, Claude 200,000 / 64,000, gpt-oss
114,000 / 32,768). Gemini CLI: packages/core/src/config/models.ts (antigravity.md §9, reference A5).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ANTIGRAVITY_FLOOR = "2.9.0"  # newer models need a client reporting >= 2.9.0 (CLIProxyAPI a834917e8, §2.2)


@dataclass(frozen=True)
class CaModel:
    """A model as Code Assist offers it.

    `rules_as`: the Gemini model whose request rules and thinking the fake applies (its own id when empty).
    `family`: "gemini" or "3p" (third-party: Claude, GPT), the quota groups of §7.2.
    `min_version`: the lowest Antigravity client version that sees it (None: any).
    """

    id: str
    display_name: str
    enum: str
    family: str = "gemini"
    rules_as: str = ""
    max_tokens: int = 1048576
    max_output_tokens: int = 65536
    min_version: str | None = None
    images: bool = False

    @property
    def rules_model(self) -> str:
        """The model id whose Gemini rules apply."""
        return self.rules_as or self.id

    @property
    def is_claude(self) -> bool:
        """Claude served through Antigravity (its own thinking and signature rules, §6.3)."""
        return self.id.startswith("claude-")

    def available_entry(self, remaining: float | None, reset_time: str) -> dict[str, Any]:
        """The fetchAvailableModels `models[id]` value (§7.1). A missing fraction with a resetTime means
        exhausted (antigravity-claude-proxy getModelQuotas), so 0 is written that way."""
        quota: dict[str, Any] = {"resetTime": reset_time}
        if remaining:
            quota = {"remainingFraction": round(remaining, 4), "resetTime": reset_time}
        provider = "API_PROVIDER_GOOGLE_GEMINI" if self.family == "gemini" else "API_PROVIDER_INTERNAL"
        return {
            "displayName": self.display_name, "model": self.enum, "apiProvider": provider,
            "modelProvider": "MODEL_PROVIDER_ANTHROPIC" if self.is_claude else "MODEL_PROVIDER_GOOGLE",
            "maxTokens": self.max_tokens, "maxOutputTokens": self.max_output_tokens,
            "supportsImages": self.images, "supportsThinking": self.family == "gemini" or self.is_claude,
            "supportsVideo": self.family == "gemini", "recommended": True, "tokenizerType": "LLAMA_WITH_SPECIAL",
            "supportedMimeTypes": {"image/png": True, "image/jpeg": True} if self.images else {},
            "quotaInfo": quota,
        }


def _gemini(mid: str, name: str, enum: str, **kw: Any) -> CaModel:
    return CaModel(mid, name, enum, **kw)


ANTIGRAVITY_MODELS: tuple[CaModel, ...] = (
    _gemini("gemini-3-flash", "Gemini 3 Flash", "MODEL_PLACEHOLDER_M18", images=True),
    _gemini("gemini-3.1-pro-low", "Gemini 3.1 Pro (Low)", "MODEL_PLACEHOLDER_M36", images=True),
    _gemini("gemini-pro-agent", "Gemini 3.1 Pro (High)", "MODEL_PLACEHOLDER_M37", rules_as="gemini-3.1-pro-preview",
            images=True, min_version=ANTIGRAVITY_FLOOR),
    _gemini("gemini-3.7-flash-high", "Gemini 3.7 Flash (High)", "MODEL_PLACEHOLDER_M44", images=True,
            min_version=ANTIGRAVITY_FLOOR),
    _gemini("gemini-3.8-flash-high", "Gemini 3.8 Flash (High)", "MODEL_PLACEHOLDER_M47", images=True,
            min_version=ANTIGRAVITY_FLOOR),
    _gemini("gemini-3.1-flash-lite", "Gemini 3.1 Flash Lite", "MODEL_PLACEHOLDER_M40"),
    _gemini("gemini-3.1-flash-image", "Gemini 3.1 Flash Image", "MODEL_PLACEHOLDER_M41", images=True),
    CaModel("claude-sonnet-4-6", "Claude Sonnet 4.6 (Thinking)", "MODEL_PLACEHOLDER_M35", "3p",
            max_tokens=200000, max_output_tokens=64000, images=True),
    CaModel("claude-opus-4-6-thinking", "Claude Opus 4.6 (Thinking)", "MODEL_PLACEHOLDER_M26", "3p",
            max_tokens=200000, max_output_tokens=64000, images=True),
    CaModel("gpt-oss-120b-medium", "GPT-OSS 120B (Medium)", "MODEL_OPENAI_GPT_OSS_120B_MEDIUM", "3p",
            max_tokens=114000, max_output_tokens=32768),
)

GEMINI_CLI_MODELS: tuple[CaModel, ...] = tuple(
    CaModel(mid, mid, "MODEL_UNSPECIFIED") for mid in (
        "gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.5-flash-lite", "gemini-3-pro-preview",
        "gemini-3.1-pro-preview", "gemini-3-flash-preview", "gemini-3-flash", "gemini-3.1-flash-lite"))

MODELS_BY_PROFILE = {"antigravity": ANTIGRAVITY_MODELS, "gemini-cli": GEMINI_CLI_MODELS}

# Tiers (antigravity.md §3.1, reference A2). Consumer tiers are served to the Antigravity client only
# since 2026-06-18 (§9); project tiers need the user's own GCP project.
CONSUMER_TIERS = ("free-tier", "g1-pro-tier", "g1-ultra-tier")
PROJECT_TIERS = ("standard-tier", "legacy-tier", "enterprise-tier")
_TIER_NAMES = {
    "free-tier": "Gemini Code Assist for individuals",
    "legacy-tier": "Gemini Code Assist (legacy)",
    "standard-tier": "Gemini Code Assist Standard",
    "enterprise-tier": "Gemini Code Assist Enterprise",
    "g1-pro-tier": "Google AI Pro",
    "g1-ultra-tier": "Google AI Ultra",
}
# Requests a day per tier (google-gemini/gemini-cli docs/resources/quota-and-pricing.md, reference A5).
DAILY_REQUESTS = {"free-tier": 1000, "g1-pro-tier": 1500, "g1-ultra-tier": 2000, "standard-tier": 1500,
                  "enterprise-tier": 2000, "legacy-tier": 1000}


def tier_object(tier_id: str, profile: str, *, default: bool = False, credits: int | None = None) -> dict[str, Any]:
    """A tier object of loadCodeAssist (§3.1). The free tier is named "Antigravity" for that client
    (the third-party fixture of §3.1) and "Gemini Code Assist for individuals" otherwise (reference A2)."""
    name = "Antigravity" if tier_id == "free-tier" and profile == "antigravity" else _TIER_NAMES.get(tier_id, tier_id)
    tier: dict[str, Any] = {
        "id": tier_id, "name": name,
        "description": "Gemini-powered code suggestions and chat in multiple IDEs",
        "userDefinedCloudaicompanionProject": tier_id in PROJECT_TIERS,
        "privacyNotice": {"showNotice": False} if tier_id != "free-tier" else {"showNotice": True,
                                                                               "noticeText": "Privacy notice"},
        "hasAcceptedTos": True, "hasOnboardedPreviously": True,
    }
    if default:
        tier["isDefault"] = True
    if tier_id.startswith("g1-"):
        tier["upgradeSubscriptionType"] = "GOOGLE_ONE_HELIUM"
    if credits is not None:
        tier["availableCredits"] = [{"creditType": "GOOGLE_ONE_AI", "creditAmount": str(credits),
                                     "minimumCreditAmountForUsage": "1"}]
    return tier

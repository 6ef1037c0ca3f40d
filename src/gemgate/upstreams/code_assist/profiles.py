"""The two Code Assist identities as data: one client, parameterised by a `Profile`.

Facts from reference/antigravity.md §9 (the profile table), §1.1 (Antigravity OAuth client and scopes),
§2.1 (hosts), §2.2 (User-Agent), §3.1-3.2 (discovery metadata), §4.2 (envelope), §7 (quota RPCs). Every value
a deployment may need to change (hosts, versions, User-Agent, client) is also a setting (`settings.py`).
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from typing import Literal

PROD = "https://cloudcode-pa.googleapis.com"
CREDIT_TYPE = "GOOGLE_ONE_AI"  # the one credit type (§7.3, paidTier.availableCredits[].creditType)
DAILY = "https://daily-cloudcode-pa.googleapis.com"

_BASE_SCOPES = (
    "https://www.googleapis.com/auth/cloud-platform",
    "https://www.googleapis.com/auth/userinfo.email",
    "https://www.googleapis.com/auth/userinfo.profile",
)

# The inner `request` fields Code Assist takes (gemini-cli packages/core/src/code_assist/converter.ts
# CaGenerateContentRequest: contents, systemInstruction, cachedContent, tools, toolConfig, labels,
# safetySettings, generationConfig, session_id). Anything else a Gemini API request may carry (`model`,
# `serviceTier`, `store`...) is left out rather than sent to a server that rejects unknown fields.
INNER_FIELDS = frozenset(
    {"contents", "systemInstruction", "cachedContent", "tools", "toolConfig", "labels", "safetySettings",
     "generationConfig"}
)


@dataclass(frozen=True)
class Profile:
    """One identity. `name` "antigravity" or "gemini-cli"; `client_id`/`client_secret`/`scopes` its OAuth client;
    `endpoints` base URLs in fallback order; `user_agent` a template with `{version}` and `{model}`;
    `version` the client version it claims; `headers` extra headers on every call; `ide_type` the discovery
    metadata's ideType; `envelope` the field-name style ("camel": Antigravity, "snake": Gemini CLI);
    `models_rpc` the RPC listing the account's models; `drop_fields` inner fields this identity never sends;
    `credits`: accounts without their own setting pay with AI credits once the free quota is gone (§7.3).
    """

    name: str
    client_id: str
    client_secret: str
    scopes: tuple[str, ...]
    endpoints: tuple[str, ...]
    user_agent: str
    version: str
    ide_type: str
    envelope: Literal["camel", "snake"]
    models_rpc: Literal["fetchAvailableModels", "retrieveUserQuota"]
    headers: dict[str, str] = field(default_factory=dict)
    drop_fields: frozenset[str] = frozenset()
    credits: bool = False

    def agent(self, model: str = "") -> str:
        """The User-Agent for a call (about `model` where the profile names it; gemini-cli does)."""
        return self.user_agent.format(version=self.version, model=model or "unknown")

    def load_body(self, project: str | None) -> dict:
        """The `loadCodeAssist` body: Antigravity `{metadata:{ideType:"ANTIGRAVITY"}}`; Gemini CLI with its
        platform/plugin enums and, for a known project, `cloudaicompanionProject` and `duetProject` (§3.1, §9)."""
        metadata = {"ideType": self.ide_type, "platform": "PLATFORM_UNSPECIFIED", "pluginType": "GEMINI"}
        if self.envelope == "camel":
            metadata = {"ideType": self.ide_type}
        body: dict = {"metadata": metadata}
        if project and self.envelope == "snake":
            body["cloudaicompanionProject"] = project
            metadata["duetProject"] = project
        return body

    def onboard_body(self, tier: str) -> dict:
        """The `onboardUser` body for `tier` (§3.2): no project (the free tier answers "Precondition Failed"
        to one, gemini-cli setup.ts); Antigravity's metadata in the snake_case CLIProxyAPI sends."""
        if self.envelope == "camel":
            metadata = {"ide_type": self.ide_type, "ide_version": self.version, "ide_name": "antigravity"}
            return {"tier_id": tier, "metadata": metadata}
        return {"tierId": tier, "metadata": self.load_body(None)["metadata"]}

    def envelope_for(self, model: str, project: str, request: dict, session: str, credits: bool = False) -> dict:
        """The generation envelope around a Gemini request (§4.2, §9 "envelope"): Antigravity
        `{project, model, userAgent, requestType, requestId, request{…, sessionId}}`, Gemini CLI
        `{model, project, user_prompt_id, request{…, session_id}}`. The inner request keeps only INNER_FIELDS.
        `credits`: pay with Google One AI credits, `enabledCreditTypes: ["GOOGLE_ONE_AI"]` (Antigravity) or
        `enabled_credit_types` (the Gemini CLI's spelling), sent only then (§7.3; reference A3)."""
        inner = {k: v for k, v in request.items() if k in INNER_FIELDS and k not in self.drop_fields}
        if self.envelope == "camel":
            inner["sessionId"] = session
            out = {
                "project": project, "model": model, "userAgent": "antigravity", "requestType": "agent",
                "requestId": f"agent-{uuid.uuid4()}", "request": inner,
            }
        else:
            inner["session_id"] = session
            out = {"model": model, "project": project, "user_prompt_id": uuid.uuid4().hex, "request": inner}
        if credits:
            out["enabledCreditTypes" if self.envelope == "camel" else "enabled_credit_types"] = [CREDIT_TYPE]
        return out


def session_id(account_id: str, request: dict) -> str:
    """A stable session id for prompt caching: "-" and a positive int63 from SHA-256 of the account and the
    first user text, the form CLIProxyAPI's generateStableSessionID sends (reference §4.3 `sessionId`)."""
    first = ""
    for content in request.get("contents") or ():
        if isinstance(content, dict) and content.get("role", "user") == "user":
            # A null text is the client's to send (Gemini-native bodies leave it to Google): only strings count.
            first = "".join(p["text"] for p in content.get("parts") or ()
                            if isinstance(p, dict) and isinstance(p.get("text"), str))
            break
    digest = hashlib.sha256(f"{account_id}\0{first}".encode()).digest()
    return f"-{int.from_bytes(digest[:8], 'big') & (2**63 - 1)}"


ANTIGRAVITY = Profile(
    name="antigravity",
    client_id="1071006060591-tmhssin2h21lcre235vtolojh4g403ep.apps.googleusercontent.com",
    client_secret="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",
    scopes=_BASE_SCOPES + (
        "https://www.googleapis.com/auth/cclog",
        "https://www.googleapis.com/auth/experimentsandconfigs",
    ),
    endpoints=(DAILY, PROD),  # CLIProxyAPI's generation order (§2.1)
    user_agent="antigravity/hub/{version} darwin/arm64",  # §2.2, 2026-07 onwards
    version="2.9.1",  # at least 2.9.0, or newer models answer 404 (§2.2 "Version gate")
    ide_type="ANTIGRAVITY",
    envelope="camel",
    models_rpc="fetchAvailableModels",
    drop_fields=frozenset({"safetySettings"}),  # "the CLI does not send it" (§4.3, CLIProxyAPI, gcli2api)
)

GEMINI_CLI = Profile(
    name="gemini-cli",
    client_id="681255809395-oo8ft2oprdrnp9e3aqf6av3hmdib135j.apps.googleusercontent.com",
    client_secret="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",
    scopes=_BASE_SCOPES,
    endpoints=(PROD,),
    user_agent="GeminiCLI/{version}/{model} (linux; x64; terminal)",
    version="0.34.0",
    ide_type="IDE_UNSPECIFIED",
    envelope="snake",
    models_rpc="retrieveUserQuota",
    headers={"X-Goog-Api-Client": "google-genai-sdk/1.41.0 gl-node/v22.19.0"},
)

PROFILES: dict[str, Profile] = {p.name: p for p in (ANTIGRAVITY, GEMINI_CLI)}

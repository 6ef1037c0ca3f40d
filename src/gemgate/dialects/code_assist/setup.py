"""The Code Assist RPCs the Gemini CLI makes before it generates, answered by the gateway itself.

The CLI (@google/gemini-cli-core 0.61 code_assist/setup.js `_doSetupUser`, reference/codeassist-and-gemini-
api.md §A2) proceeds when loadCodeAssist names a `currentTier` and a `cloudaicompanionProject` (a string);
without a tier it would onboard, and onboardUser's operation, done at once, names the project as an object.
The gateway's accounts have their own tiers and projects upstream: to the client it is one licensed account
("standard-tier"; a free tier gets the CLI's upgrade prompts), its project the one the client named, if any.
retrieveUserQuota lists the models the pool serves: the CLI offers preview models only when a bucket names
one (config.js `refreshUserQuota`), and shows the fraction left.
"""

from __future__ import annotations

from collections.abc import Callable

from ..base import Local
from ..validate import expect

PROJECT = "gemgate"  # the project named when the client names none (the CLI then sends it back, unread)
_TIER = {
    "id": "standard-tier",
    "name": "gemgate",
    "description": "Gemini through the gemgate gateway",
    "userDefinedCloudaicompanionProject": False,
    "isDefault": True,
    "hasAcceptedTos": True,
    "hasOnboardedPreviously": True,
    "privacyNotice": {"showNotice": False},
}
# The Operation's response type as cloudcode-pa names it (§A2, "onboardUser response and polling").
_ONBOARD_TYPE = "type.googleapis.com/google.internal.cloud.code.v1internal.OnboardUserResponse"
# Methods of a Model resource that mean "it generates" (others: embedding models, which the CLI cannot use).
_GENERATES = frozenset({"generateContent", "streamGenerateContent"})


def _project(body: dict) -> str:
    """The project the client named (`cloudaicompanionProject`, from GOOGLE_CLOUD_PROJECT), else PROJECT."""
    named = body.get("cloudaicompanionProject")
    if named is None or named == "":
        return PROJECT
    return expect(named, str, "cloudaicompanionProject")


def load_code_assist(body: dict) -> Local:
    """loadCodeAssist: the current tier and the project, so the CLI neither onboards nor asks for a project."""
    project = _project(body)
    return Local(lambda state: {"currentTier": _TIER, "allowedTiers": [_TIER], "cloudaicompanionProject": project,
                                  "gcpManaged": False})


def onboard_user(body: dict) -> Local:
    """onboardUser: a finished long-running operation whose response names the project (`{id, name}`)."""
    project = _project(body)
    response = {"@type": _ONBOARD_TYPE, "cloudaicompanionProject": {"id": project, "name": project}}
    return Local(lambda state: {"name": "operations/gemgate-onboarded", "done": True, "response": response})


def quota_buckets(entries: list[tuple[str, dict]]) -> dict:
    """retrieveUserQuota's answer: `{"buckets": [{modelId, tokenType, remainingFraction}]}`, one per generating
    model the catalogue lists under a plain id or alias (kind-pinned ids repeat them). The pool fails over
    between accounts, so the client is never told to ration: every fraction is 1 and no reset time is named."""
    buckets = []
    for listed, resource in entries:
        methods = resource.get("supportedGenerationMethods")
        if "/" in listed or (isinstance(methods, list) and not _GENERATES.intersection(methods)):
            continue
        buckets.append({"modelId": listed, "tokenType": "REQUESTS", "remainingFraction": 1.0})
    return {"buckets": buckets}


def retrieve_user_quota(body: dict) -> Local:
    """retrieveUserQuota (`{project}`): `quota_buckets` of the catalogue."""
    return Local(lambda state: quota_buckets(state.entries))


def list_experiments(body: dict) -> Local:
    """listExperiments: no experiments and no flags (the CLI keeps its defaults)."""
    return Local(lambda state: {"experimentIds": [], "flags": []})


RPCS: dict[str, Callable[[dict], Local]] = {
    "loadCodeAssist": load_code_assist,
    "onboardUser": onboard_user,
    "retrieveUserQuota": retrieve_user_quota,
    "listExperiments": list_experiments,
}

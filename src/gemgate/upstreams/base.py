"""The upstream contract. An upstream kind is one package with one `Upstream` subclass, registered in
`gemgate.upstreams.UPSTREAM_KINDS`; it classifies failures, it never picks accounts (the pool does).
"""

from __future__ import annotations

import abc
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from contextvars import ContextVar
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import typer
from pydantic import BaseModel, ConfigDict, Field

from ..catalog import ModelSpec, apply_model_spec
from ..gemini.thinking import ThinkingRequest
from ..redaction import redact
from ..store import AccountRecord, QuotaSnapshot, Store

if TYPE_CHECKING:
    from ..http.media import MediaFetcher
    from .credentials import CredentialKeeper


class Capability(StrEnum):
    """What an upstream kind can do; a request needing a capability skips accounts whose kind lacks it."""

    GENERATE = "generate"
    COUNT_TOKENS = "count_tokens"
    EMBED = "embed"
    LIST_MODELS = "list_models"
    GEMS = "gems"  # serves a gem the model name names (`@gem=<id>`, catalog); the gem is in NAMED_GEM


# The gem the running request's model name names (`catalog.split_gem`), set by the pipeline for its task; only
# kinds with Capability.GEMS are given such a request, and they read it here when their stream starts.
NAMED_GEM: ContextVar[str | None] = ContextVar("gemgate_named_gem", default=None)


class UpstreamSettings(BaseModel):
    """The settings every kind's `[upstreams.<kind>]` section has; kinds subclass it with their own fields.

    Timeouts are seconds. `proxy` is the default proxy URL for this kind's accounts (an account's own wins).
    """

    model_config = ConfigDict(extra="forbid")

    proxy: str | None = Field(default=None, repr=False)  # may hold a password
    connect_timeout: float = 15.0
    first_byte_timeout: float = 300.0
    idle_timeout: float = 300.0
    # The largest streamed event (or whole answer) read from the upstream, in bytes; past it the answer is
    # Failure.MALFORMED. Google documents no maximum for a response part; 64 MiB holds a 4K generated image
    # inlined as base64 several times (requests: 20 MB inline on the Gemini API, 256 MB per part on Vertex).
    event_bytes: int = Field(64 * 1024 * 1024, ge=1024 * 1024)


class NeedsReauth(Exception):
    """The credential cannot be made fresh without the user; the message tells them what to do."""

    def __init__(self, reason: str) -> None:
        self.reason = redact(reason)  # it may quote the upstream's answer, shown in `accounts list`
        super().__init__(self.reason)


class Upstream(abc.ABC):
    """One upstream kind: how to reach Google with one kind of credential.

    Class attributes declare the kind: `kind` (its name, e.g. "gemini-api"; config sections use it with
    `_` for `-`), `capabilities`, `settings_model` (the `[upstreams.<kind>]` section), `secret_fields`
    (the credential's required string fields, checked when an account is added, and by default the values
    redacted from every upstream text: see `secret_values`) and `fallback_models`
    (offered for an account whose model list could not be fetched yet).

    Every method taking an account raises `UpstreamError` on failure, classified into the one taxonomy.
    """

    kind: ClassVar[str]
    capabilities: ClassVar[frozenset[Capability]] = frozenset({Capability.GENERATE})
    settings_model: ClassVar[type[UpstreamSettings]] = UpstreamSettings
    secret_fields: ClassVar[tuple[str, ...]] = ()
    fallback_models: ClassVar[tuple[str, ...]] = ()
    # Whether `models_and_quota` reports each model's remaining quota (the pool then skips exhausted models
    # before they fail and asks again before using one whose quota cooldown ran out).
    reports_quota: ClassVar[bool] = False
    # Whether the kind's upstream honours the request's generationConfig.stopSequences itself; when it does
    # not, the pipeline cuts the answer at them (gemini.stops) and closes the upstream stream there.
    applies_stop_sequences: ClassVar[bool] = True
    # The level of the keeper's "credential refreshed" line: a kind whose refreshes are routine (the web app's
    # session renewed and Set-Cookie merged after ordinary answers) logs them at DEBUG, its notable renewals itself.
    refresh_log_level: ClassVar[int] = logging.INFO

    def __init__(self, settings: UpstreamSettings) -> None:
        self.settings = settings

    def attach(self, store: Store, media: MediaFetcher) -> None:
        """The gateway's store (for state a kind keeps between requests, e.g. conversations to continue) and its
        media fetcher (URLs fetched behind the SSRF guard); given once, at gateway start before `start`.
        Default: neither is used."""

    async def start(self) -> None:
        """Create long-lived HTTP clients (once, at gateway start)."""

    async def close(self) -> None:
        """Release them."""

    async def import_environment(self, store: Store, environ: Mapping[str, str]) -> None:
        """Add or update accounts from credentials in environment variables (`auto_load_env_creds`, at gateway
        start, after `start`); logs what it did and never raises for a bad variable. Default: none."""

    @classmethod
    def register_cli(cls, accounts: typer.Typer) -> None:
        """Add this kind's own commands (how its accounts get in) to `gemgate accounts`."""

    @classmethod
    def register_commands(cls, app: typer.Typer) -> None:
        """Add this kind's top-level commands (how its users sign in or bring credentials, e.g. `gemgate login`,
        `gemgate import`) to `gemgate` itself."""

    @classmethod
    def imports(cls, path: Path) -> bool:
        """Whether `gemgate import PATH` names a file of this kind's own (e.g. the config of a server it
        replaces): such files go to `import_files`, not to the credential importer. Default: none."""
        return False

    @classmethod
    def import_files(cls, paths: list[Path], config: Path | None, dry_run: bool) -> bool:
        """Import the files `imports` claimed, printing what was (with `dry_run`: would be) imported; False when
        any failed. Only called for kinds whose `imports` claimed a file."""
        raise NotImplementedError

    @classmethod
    def routes(cls) -> tuple[list, frozenset[str]]:
        """HTTP routes this kind adds to the gateway (starlette Routes, e.g. a sign-in flow), and which of
        their paths are served without a client key (protected otherwise, e.g. by a one-time state, or by
        authenticating the caller themselves); a path ending in "/" opens every path under it."""
        return [], frozenset()

    @classmethod
    def personal_account(cls, headers: Mapping[str, str]) -> AccountRecord | None:
        """The account a request carries for itself in its headers (stateless per-request credentials, e.g.
        gemini-web's `x-gemini-psid`), used for that request only: never stored, never in the pool, named
        without its secret. None when the request carries none of this kind. Raises ValueError, with a
        message that names the headers to fix and never a value, for a malformed one."""
        return None

    @classmethod
    def suggest_name(cls, secret: dict) -> str | None:
        """A readable default account name from the credential (never the secret itself), or None."""
        return None

    @classmethod
    def secret_problem(cls, secret: dict) -> str | None:
        """Why the credential is obviously malformed (e.g. not shaped like this kind's keys), as one sentence
        that says what a valid one looks like and never contains the secret; None when it looks right.
        Checked when an account is added (the operator can skip it for test credentials)."""
        return None

    @classmethod
    def credential_identity(cls, secret: dict) -> str | None:
        """The value that makes two credentials of this kind the same one (gemini-api: the API key), so
        the same credential is not added twice under two names; None: no such value. Compared in memory
        only, never stored or shown."""
        return None

    @classmethod
    def secret_values(cls, secret: dict) -> list[str]:
        """Every value of the credential that must never appear in a log, an error body or the store's
        plain columns: by default the strings under `secret_fields` (nested lists and dicts walked, as a
        cookie jar would be). A kind whose credential holds further secrets (an access token next to a
        refresh token) overrides this. `gemgate.redaction.KNOWN` scrubs them from upstream text."""
        return [v for name in cls.secret_fields for v in _strings(secret.get(name))]

    @classmethod
    def describe_secret(cls, secret: dict) -> str:
        """A short, safe description of the credential that tells accounts apart in `gemgate accounts list`
        (gemini-api: the key's start and last 4 characters, `AIza…x9Qk`); never enough to use it. "" for none."""
        return ""

    @classmethod
    def credential_warning(cls, secret: dict, created_at: float, now: float) -> str:
        """A warning for `gemgate accounts list`/`show` that the credential is near its end, saying what to do;
        "" when none (the default). `created_at` (when the account was added) and `now` are epoch seconds."""
        return ""

    def proxy_for(self, account: AccountRecord) -> str | None:
        """The proxy URL this account's calls go through: its own, else the kind's default."""
        return account.proxy or self.settings.proxy

    @classmethod
    def adjust_request(
        cls, request: dict, spec: ModelSpec, asked: ThinkingRequest | None, names: Mapping[str, str] | None
    ) -> tuple[str, ...]:
        """Write into a Gemini GenerateContentRequest what the model name and the client's own fields ask, within
        what this kind honours; called by the pipeline when this kind alone serves the model. Returns one note per
        value approximated or ignored, said in the X-Gemgate-Adjusted header; raises GatewayError 400 for what
        the kind refuses. Default: the Gemini API's own rules (`catalog.apply_model_spec`)."""
        return apply_model_spec(request, spec, asked, names)

    # credential lifecycle

    def credential_fresh(self, account: AccountRecord, now: float) -> bool:
        """Whether the stored credential can be used as is at `now` (epoch seconds)."""
        return True

    async def refresh_credential(self, account: AccountRecord) -> dict:
        """A new credential (the account's `secret` dict) to be persisted before use.

        Raises NeedsReauth when only the user can fix it. Called single-flight per account.
        """
        raise NeedsReauth(
            f"the {self.kind} credential of account '{account.name}' was rejected and cannot be refreshed; "
            "replace it (remove the account and add it again) or `gemgate accounts enable` it once fixed"
        )

    def upkeep_interval(self) -> float | None:
        """Seconds between `upkeep` calls; None (the default): the kind needs none."""
        return None

    async def upkeep(self, accounts: list[AccountRecord], reauth: frozenset[str], keeper: CredentialKeeper,
                     store: Store, now: float) -> dict[str, str | None]:
        """Periodic work on this kind's enabled accounts (the gateway calls it every `upkeep_interval()` seconds;
        `reauth`: ids of those that need re-auth; `now`: epoch seconds), e.g. renewing credentials ahead of use
        through `keeper.renew` and taking in credential files changed on disk. Returns {account id: reason} for
        accounts that now need re-auth, {account id: None} for ones whose credential was replaced (the mark is
        lifted). Raises nothing: failures are logged and tried again later."""
        return {}

    # capabilities

    def substitute(self, name: str, served: Callable[[str], bool]) -> str | None:
        """The model name to serve instead of `name`, which no account serves, when this kind's settings allow
        serving a lesser model (a downgrade the pipeline reports in X-Gemgate-Adjusted and in the response's
        `model`); `served(model_id)` says whether an account of this kind serves a model id. None (the
        default): no substitute, the request is a 404."""
        return None

    async def preferred_account(self, model: str, request: dict) -> str | None:
        """The id of the account that should serve this generation (a Gemini GenerateContentRequest, after the
        pipeline prepared it), e.g. the one holding the upstream conversation it continues; None: any. The pool
        takes that account when it can serve now and picks as usual otherwise, so `stream` must serve the
        request on any account. Default: None."""
        return None

    @abc.abstractmethod
    def stream(self, account: AccountRecord, model: str, request: dict) -> AsyncIterator[dict]:
        """Gemini GenerateContentResponse chunks for a Gemini GenerateContentRequest.

        Raises UpstreamError, before or after the first chunk; a stream that ends without a finishReason
        raises too (Failure.TRANSIENT), so a cut-off answer is never taken for a whole one.
        """

    async def count_tokens(self, account: AccountRecord, model: str, body: dict) -> dict:
        """A Gemini CountTokensResponse (`{"totalTokens": N, ...}`) for a CountTokensRequest
        (ai.google.dev/api/tokens). Only for kinds with Capability.COUNT_TOKENS; NotImplementedError otherwise."""
        raise NotImplementedError

    async def embed(self, account: AccountRecord, model: str, body: dict, *, batch: bool) -> dict:
        """A Gemini EmbedContentResponse `{"embedding": {"values"}}`, or with `batch` a BatchEmbedContentsResponse
        `{"embeddings": [...]}` (ai.google.dev/api/embeddings). Capability.EMBED; NotImplementedError otherwise."""
        raise NotImplementedError

    async def list_models(self, account: AccountRecord) -> list[dict]:
        """Gemini Model resources (`{"name": "models/<id>", ...}`, ai.google.dev/api/models) this account can
        use. Capability.LIST_MODELS; NotImplementedError otherwise."""
        raise NotImplementedError

    async def models_and_quota(self, account: AccountRecord) -> tuple[list[dict], QuotaSnapshot | None]:
        """`list_models` and, for kinds that `reports_quota`, what is left of each model's quota, in as few
        calls as the upstream allows (default: `list_models` and None). Raises as `list_models`."""
        return await self.list_models(account), None


def _strings(value: object) -> list[str]:
    """The strings in a JSON-like value (dict values and list items walked), stripped."""
    if isinstance(value, str):
        return [value, value.strip()]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []

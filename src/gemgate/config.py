"""Settings: a TOML file plus GEMGATE_* environment variables (the environment wins)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import platformdirs
from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from .gemini.think_tags import ThinkTag


def default_data_dir() -> Path:
    """The per-user data folder (platformdirs: ~/.local/share/gemgate on Linux): database, key file, config.toml."""
    return platformdirs.user_data_path("gemgate", appauthor=False)


class Limits(BaseModel):
    """Bounds on the work one request may cause ([limits] in the TOML file, GEMGATE_LIMITS__<FIELD>). A request
    over one is refused before it costs more: 413 for the body, 400 naming the field for the rest, each in the
    caller's own error format."""

    model_config = ConfigDict(extra="forbid")

    # Request body in bytes (32 MiB: room for several inline images; Gemini's own inline limit is 20 MB).
    # A Content-Length over it is refused before reading; a body without one is cut off at the limit.
    body_bytes: int = Field(32 * 1024 * 1024, ge=1024)
    # Bytes of request bodies held at once, across requests: a body's Content-Length from its first read (a
    # reservation that lapses while the upload stalls), or more for many small JSON objects (a body is held
    # until its answer is complete; a counted byte costs about three in memory).
    # A request past 256 KiB that would pass it is a 503 with Retry-After; smaller ones are always admitted.
    # Stored state a request reads back (Responses chains, conversation items: store.kept) counts too; past the
    # whole limit it is a 400.
    # 128 MiB: four bodies at the body_bytes limit.
    bodies_in_flight_bytes: int = Field(128 * 1024 * 1024, ge=1024 * 1024)
    # Media fetched from http(s) URLs for one request (image_url, file_data): how many URLs, their bytes in
    # total (each also at most fetch_max_bytes), and how many are fetched at once, so one request cannot take
    # the fetcher's 64 connections from everyone else. Fetched bytes also count in bodies_in_flight_bytes.
    media_urls: int = Field(16, ge=0)
    media_bytes: int = Field(64 * 1024 * 1024, ge=1024)
    media_fetches: int = Field(4, ge=1, le=64)
    # Characters in a model name, suffixes included (real ids are under 64).
    model_name_chars: int = Field(256, ge=16)
    # Messages (OpenAI) or contents (Gemini) in one request.
    messages: int = Field(10_000, ge=1)
    # Content parts (and tool calls) in one message or content.
    parts_per_message: int = Field(1_000, ge=1)
    # Tools (function declarations) in one request.
    tools: int = Field(512, ge=1)
    # Inputs in one embeddings request (OpenAI's own maximum is 2048).
    embedding_inputs: int = Field(2_048, ge=1)
    # Nesting of JSON objects and arrays, in the body and in JSON carried in strings (tool arguments and
    # results). At most 200: the upstream request wraps client JSON a few levels deeper, and its encoder
    # stops at 255.
    json_depth: int = Field(100, ge=8, le=200)
    # The request line plus headers, in bytes: 414 for a longer request line, 431 for more headers, before the
    # app sees them (http.server). 64 KiB: OAuth tokens and ?key= fit many times; Node allows 16 KiB.
    header_bytes: int = Field(64 * 1024, ge=4096)
    # Seconds a request line and headers may take to arrive once begun: then a 408 and the connection closed
    # (slow-header clients hold connections otherwise; nginx's client_header_timeout is 60, Apache's 20-40).
    head_seconds: float = Field(20.0, gt=0)
    # Seconds a request body may go without a byte arriving before a 408 closes the connection (nginx's
    # client_body_timeout is 60; a stalled upload otherwise holds its connection for ever).
    body_idle_seconds: float = Field(30.0, gt=0)


class Settings(BaseSettings):
    """Every setting, from the TOML file and GEMGATE_* variables. Durations are seconds."""

    model_config = SettingsConfigDict(env_prefix="GEMGATE_", extra="forbid", env_nested_delimiter="__")

    host: str = "127.0.0.1"
    port: int = 8080
    data_dir: Path = Field(default_factory=default_data_dir)
    db_path: Path | None = None  # default: <data_dir>/gemgate.db
    # Secrets in plain text are kept out of the settings' repr (a debug line, a crash report).
    master_key: str | None = Field(default=None, repr=False)  # default: a key file in data_dir, mode 0600
    master_key_file: Path | None = None

    # Client keys given in plain text here are accepted besides the hashed ones in the store.
    client_keys: list[str] = Field(default=[], repr=False)

    # One section per upstream kind, e.g. [upstreams.gemini_api] base_url = "…" or the environment's
    # GEMGATE_UPSTREAMS__GEMINI_API__BASE_URL; each kind validates its own (see gemgate.upstreams).
    upstreams: dict[str, dict[str, Any]] = Field(default={}, repr=False)  # proxies may hold passwords
    aliases: dict[str, str] = {}
    default_model: str | None = None
    """The model of a request that names none (OpenAI Chat Completions without `model`, as the cookie-based
    servers gemgate replaces allow); None: such a request is a 400 asking for one. Any name `model` takes
    (an alias, a suffix)."""

    # Emit thoughts inside <think>…</think> in content instead of reasoning_content (OpenAI chat).
    thoughts_in_content: bool = False
    think_tag: ThinkTag = "think"
    """The tag around thoughts in content when `thoughts_in_content` is set: `think`, or `thinking` as the
    Cloudflare gemini-cli worker emits."""

    auto_load_env_creds: bool = False
    """At server start, import the credentials in GCLI_CREDS_* and GCP_SERVICE_ACCOUNT variables (JSON or base64
    of JSON; the formats `gemgate import` reads), as gcli2api's AUTO_LOAD_ENV_CREDS does; the environment's
    copy wins over a stored one of the same email and profile (gcli2api README: credentials in environment
    variables are used first). Problems are logged as warnings and never stop the server."""

    max_attempts: int = 3
    default_cooldown_seconds: float = 60.0
    not_found_cooldown_seconds: float = 3600.0
    keepalive_seconds: float = 10.0
    # Thought signatures handed out with tool calls are kept this long (seconds) for replays.
    signature_ttl_seconds: float = 7 * 86400.0
    # State a dialect keeps for later requests (stored Responses for previous_response_id and GET) lives this
    # long (seconds); OpenAI keeps stored responses 30 days.
    kept_ttl_seconds: float = 30 * 86400.0

    # Media fetched from http(s) URLs in requests; fetch_allow_private lets sockets reach loopback, private and
    # other non-public addresses (the SSRF guard in http/addresses.py is off): for tests or a trusted LAN only.
    fetch_allow_private: bool = False
    # Media URLs on this machine only: loopback addresses and `localhost`, no DNS lookup of any other name, no
    # other address connected to (`gemgate sandbox`, whose README promise is that nothing leaves the machine).
    fetch_loopback_only: bool = False
    fetch_max_bytes: int = 20 * 1024 * 1024
    fetch_timeout: float = 20.0

    models_refresh_seconds: float = 3600.0
    # Quota readings (kinds that report them, Code Assist): read at discovery, soon after a 429, before an
    # account whose quota cooldown ended serves again, and otherwise every quota_refresh_seconds (polling is a
    # signal Google may watch: minutes, reference/antigravity.md §10). A quota cooldown lasts at most
    # quota_recheck_seconds, then the quota is read again (weekly resets are days away, §8.2).
    quota_refresh_seconds: float = Field(600.0, gt=0)
    quota_recheck_seconds: float = Field(24 * 3600.0, gt=0)
    # This many distinct models of one account cooled by quota 429s within the window cool the whole account
    # (quota is shared by a model family: see Pool._escalate for the reasoning and sources).
    quota_escalate_models: int = Field(3, ge=1)
    quota_escalate_window_seconds: float = Field(600.0, gt=0)
    state_sync_seconds: float = 2.0  # a full sync with the store (and the write-behind counters) at least this often
    # How often the store is asked whether someone else changed it (Store.changed: one tiny query); a change
    # is taken in at once, so CLI changes (keys, accounts) apply on a running server within ~100 ms.
    change_poll_seconds: float = 0.05
    log_level: str = "info"

    # Per-request bounds: body size, model-name length, messages, parts, tools, JSON nesting, head size (see Limits).
    limits: Limits = Field(default_factory=Limits)

    config_file: Path | None = None

    @property
    def database(self) -> Path:
        """The SQLite file: `db_path`, else <data_dir>/gemgate.db."""
        return self.db_path or self.data_dir / "gemgate.db"

    @property
    def key_file(self) -> Path:
        """The master key file: `master_key_file`, else <data_dir>/master.key."""
        return self.master_key_file or self.data_dir / "master.key"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Precedence: init arguments (CLI flags), then GEMGATE_* variables, then the TOML file (if any); no .env.
        Raises FileNotFoundError for an explicitly named config file that does not exist.
        """
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        path = _config_path()
        if path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)


_CONFIG_OVERRIDE: list[Path | None] = [None]


def _config_path() -> Path | None:
    path = _CONFIG_OVERRIDE[0] or os.environ.get("GEMGATE_CONFIG_FILE")
    if path is None:
        # The data directory the environment names holds its own config.toml (a file cannot name its own folder).
        folder = os.environ.get("GEMGATE_DATA_DIR")
        default = (Path(folder) if folder else default_data_dir()) / "config.toml"
        return default if default.exists() else None
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"config file not found: {path}")
    return path


def load_settings(config_file: Path | None = None, **overrides: object) -> Settings:
    """Build settings; `overrides` (from command-line flags; None values ignored) beat both environment and file.

    The file is `config_file`, else $GEMGATE_CONFIG_FILE, else config.toml in $GEMGATE_DATA_DIR or the default
    data directory, when it exists.
    Raises FileNotFoundError for a named file that is missing, pydantic's ValidationError for bad values.
    """
    _CONFIG_OVERRIDE[0] = config_file
    try:
        clean = {k: v for k, v in overrides.items() if v is not None}
        settings = Settings(**clean)
        settings.config_file = _config_path()
        return settings
    finally:
        _CONFIG_OVERRIDE[0] = None

"""`[upstreams.gemini_web]`: every URL the web upstream calls (so fakes and mirrors stand in), and its timings."""

from __future__ import annotations

from pydantic import Field

from ..base import UpstreamSettings


class GeminiWebSettings(UpstreamSettings):
    """The web app's URLs and the kind's own timings (seconds).

    `base_url` serves the app page, StreamGenerate and batchexecute (reference/gemini-web-protocol.md §1.1,
    §3.1, §6.8); `upload_url` the file uploads (§5.1) and `rotate_cookies_url` the cookie rotation (§2).
    `blocked_cooldown_seconds`: how long an account whose address Google blocked ("sorry" page,
    HTTP 429, error 1060) rests; `usage_limit_cooldown_seconds`: how long a model whose usage limit (1037) the
    account reached rests; `session_seconds`: how long scraped page tokens are used before the page is read
    again; `temporary`: conversations are not saved in the user's Gemini history (inner[45] and header[7], §3.4,
    §3.3); `conversation_ttl_seconds`: how long an answer's web conversation can be continued by a request that
    replays it (`conversations`); `upload_max_bytes`: the largest file uploaded (the web app's own limit is not
    in the reference; its help pages say 100 MB per file).
    Cookie lifecycle: `rotate_seconds` ± `rotate_jitter_seconds` between RotateCookies calls per account (2.1.1
    sleeps max(60, 600 ± uniform(15)), §2.3; never under a minute, whatever these say, nor across instances
    sharing the store); `cookie_file_poll_seconds`: how often an account's cookie file is looked at for changes.
    `build_label`: the `bl` sent when the app page carries none (an account's own `build_label` first; the page's
    always wins, `page.with_fallbacks`). `language`: the `hl` sent when the page names none. `impersonate`: the browser whose TLS and HTTP/2
    fingerprint curl_cffi presents (a curl_cffi target such as "chrome", "chrome145", "firefox"); "" sends with
    plain aiohttp instead. `connections`: transfers at once over it (streams hold one each).
    `personal_session_seconds` / `personal_sessions`: how long, and for how many distinct cookie sets at most,
    the session (page tokens, models) of per-request cookies (`x-gemini-psid`) is kept in memory (`personal`).
    `downgrade`: a request for a model no web account has (e.g. `gemini-web/pro` with free accounts only) is
    served by the best model they have, said in X-Gemgate-Adjusted and the response's `model`; false (the
    default): it is a 404 naming what they have (`models.substitute`).
    """

    base_url: str = "https://gemini.google.com"
    upload_url: str = "https://content-push.googleapis.com/upload"
    rotate_cookies_url: str = "https://accounts.google.com/RotateCookies"
    blocked_cooldown_seconds: float = Field(600.0, ge=0)
    usage_limit_cooldown_seconds: float = Field(3600.0, ge=0)
    session_seconds: float = Field(3600.0, gt=0)
    temporary: bool = True
    conversation_ttl_seconds: float = Field(24 * 3600.0, gt=0)
    upload_max_bytes: int = Field(100 * 1000 * 1000, ge=1)
    rotate_seconds: float = Field(600.0, ge=60)
    rotate_jitter_seconds: float = Field(15.0, ge=0)
    cookie_file_poll_seconds: float = Field(2.0, gt=0)
    build_label: str | None = None
    language: str = "en"
    impersonate: str = "chrome"
    connections: int = Field(64, ge=1)
    personal_session_seconds: float = Field(300.0, gt=0)
    personal_sessions: int = Field(256, ge=1)
    downgrade: bool = False

"""The dialect contract. A dialect is one package exposing a `Dialect`; `gemgate.dialects.DIALECTS` lists
them, and the app's routes, auth-error shapes and model listings all come from there.

A dialect declares its endpoints; its parsers are pure (no I/O: media URLs and signatures are left as
references that the pipeline resolves), and its per-request `Reply` renders answers, streams and in-stream
errors in the API's exact wire format. Dialects never touch accounts or HTTP clients.
"""

from __future__ import annotations

import abc
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol

from ..background import BackgroundRuns
from ..catalog import Catalog, ModelSpec
from ..config import Limits
from ..errors import GatewayError
from ..gemini.signatures import SignatureRef, SignatureStore
from ..gemini.think_tags import ThinkTag
from ..gemini.thinking import ThinkingRequest
from ..store import Store
from ..store.kept import Kept
from ..upstreams.base import Capability


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True)
class StreamFormat:
    """How a dialect's streams travel: the media type and the frame sent into silences."""

    media_type: str
    keepalive: bytes


class ParseInput:
    """What a parser sees of the HTTP request: the decoded JSON `body`, and `path_params`, `query` and
    `headers` mappings (read from the request only when a parser asks: most never do), and the gateway's
    per-request `limits` (counts of messages, parts, tools, inputs; JSON nesting in strings)."""

    __slots__ = ("body", "limits", "_request", "_path_params", "_query", "_headers")

    def __init__(
        self,
        body: object,
        path_params: Mapping[str, str] | None = None,
        query: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        *,
        request=None,
        limits: Limits | None = None,
    ) -> None:
        self.body = body
        self.limits = limits or DEFAULT_LIMITS
        self._request = request
        self._path_params, self._query, self._headers = path_params, query, headers

    @property
    def path_params(self) -> Mapping[str, str]:
        """Values of the route's `{…}` placeholders."""
        return self._request.path_params if self._path_params is None and self._request else self._path_params or {}

    @property
    def query(self) -> Mapping[str, str]:
        """The query parameters."""
        return self._request.query_params if self._query is None and self._request else self._query or {}

    @property
    def headers(self) -> Mapping[str, str]:
        """The request headers (case-insensitive when they come from a request)."""
        return self._request.headers if self._headers is None and self._request else self._headers or {}


@dataclass
class MediaRef:
    """A part to be filled with the `inlineData` fetched from `url`; `param` names the request field."""

    part: dict
    url: str
    param: str


@dataclass(slots=True)
class RenderContext:
    """What renderers (and a generation's `resolve`) may use of the running gateway: the signature store,
    whether thoughts go in content, and the store for state a dialect keeps (`kept`), scoped to the calling
    client (`owner`, its `ClientIdentity.owner`; "" when the gateway takes no keys)."""

    signatures: SignatureStore
    thoughts_in_content: bool
    think_tag: ThinkTag = "think"  # the tag around thoughts in content (gemini.think_tags)
    store: Store | None = None
    kept_ttl: float = 30 * 86400.0
    spaces: dict[str, Kept] = field(default_factory=dict)
    owner: str = ""
    runs: BackgroundRuns = field(default_factory=BackgroundRuns)  # this instance's background generations

    def kept(self, namespace: str) -> Kept:
        """The dialect state kept under `namespace` for this context's `owner`, each value for `kept_ttl`
        seconds (settings `kept_ttl_seconds`); in this context's memory when there is no store."""
        if namespace not in self.spaces:
            self.spaces[namespace] = Kept(self.store, namespace, self.kept_ttl)
        return self.spaces[namespace].owned_by(self.owner)


class Reply(abc.ABC):
    """How one request's answer is written in the dialect's format (made by the parser, holding what it
    needs of the request: tool-name map, declared schemas, the model name the client used)."""

    stream_format: StreamFormat

    @abc.abstractmethod
    async def whole(self, response: dict, ctx: RenderContext) -> dict:
        """The JSON body for a complete Gemini GenerateContentResponse."""

    @abc.abstractmethod
    def stream(self, first: dict, rest: AsyncIterator[dict], ctx: RenderContext) -> AsyncIterator[bytes]:
        """Frames for a stream of Gemini response chunks; an upstream error propagates to the caller."""

    @abc.abstractmethod
    def stream_error(self, err: GatewayError) -> bytes:
        """The bytes that end a committed stream with an error, leaving the stream well-formed."""

    async def failed(self, err: GatewayError, ctx: RenderContext) -> None:
        """Called once, before the client hears of it, when a generation whose id the client may know (a
        committed stream, a background run) failed; a dialect keeping answers keeps the failure here. Default:
        nothing."""

    async def accepted(self, ctx: RenderContext) -> dict:
        """For a background generation (`Generation.background`): keep it as queued and return the body
        answered at once. Only a dialect whose parser sets `background` implements it."""
        raise NotImplementedError

    async def alive(self, ctx: RenderContext) -> bool:
        """Renew a background generation's kept heartbeat; False when it was cancelled meanwhile (from any
        instance). Default: True."""
        return True


class ChunkCut(Protocol):
    """What one upstream attempt's chunks go through before anything else sees them (the streamed answer and
    the fold of a whole one alike, so both agree): `cut(chunk)` is (the chunk to pass on, whether to read the
    upstream no further after it: the pipeline then closes the upstream stream); `end()` is a last chunk to
    pass on when the upstream ended by itself (None: none). `gemini.stops.StopCut` is one."""

    def __call__(self, chunk: dict) -> tuple[dict, bool]:
        """(the chunk transformed, stop reading after it)."""

    def end(self) -> dict | None:
        """A chunk for what is still held when the upstream ends, or None."""


# Makes a fresh ChunkCut for one attempt (failover starts a new generation, so the cut starts over), given
# whether the serving upstream kind applies stopSequences itself (`Upstream.applies_stop_sequences`); None: no cut.
CutFactory = Callable[[bool], "ChunkCut | None"]


@dataclass
class Generation:
    """A generation request as a parser made it: the client's model name, a Gemini GenerateContentRequest,
    and what the pipeline resolves before the upstream call (media, signatures, thinking, model suffixes)."""

    model: object
    request: dict
    stream: bool
    reply: Reply
    thinking: ThinkingRequest | None = None  # what the request's own fields ask (None: nothing)
    media: list[MediaRef] = field(default_factory=list)
    signatures: list[SignatureRef] = field(default_factory=list)
    adjusted: tuple[str, ...] = ()  # values the gateway brought into the model's range, said in a header
    names: Mapping[str, str] | None = None  # the client's names of Gemini fields (gemini.request_rules.GEMINI_NAMES)
    # The dialect's own I/O before media and signatures are resolved (e.g. a stored conversation to continue);
    # it may add to `request`, `media` and `signatures`, and raise GatewayError.
    resolve: Callable[[RenderContext], Awaitable[None]] | None = None
    background: bool = False  # answered at once by `reply.accepted`, run by a task (gemgate.background)
    affinity: str | None = None  # what names the client's conversation (a cache key, a session header); recorded
    # The per-attempt chunk hook; None: the request's stop sequences are cut by the gateway for kinds that do
    # not apply them (gemini.stops.stop_cut without reporting). Anthropic's reports the matched sequence.
    cut: CutFactory | None = None


@dataclass
class Unary:
    """A one-shot request (count tokens, embeddings): `build` makes the Gemini body for the resolved model,
    `render` the client's JSON from the upstream's answer."""

    model: object
    capability: Capability
    build: Callable[[ModelSpec], dict]
    render: Callable[[dict, ModelSpec], dict]
    batch: bool = False
    media: list[MediaRef] = field(default_factory=list)  # fetched (SSRF-guarded) before `build`, as for a Generation


@dataclass(slots=True)
class LocalState:
    """What a Local answer may read of the running gateway: the catalogue's (listed id, Gemini Model resource)
    pairs, and the render context (signatures, `kept` dialect state)."""

    catalog: Catalog
    ctx: RenderContext

    @property
    def entries(self) -> list[tuple[str, dict]]:
        """The catalogue's (listed id, Gemini Model resource) pairs."""
        return self.catalog.entries()


@dataclass
class Local:
    """A request the gateway answers itself, with no upstream call: from the catalogue (a client's setup and quota
    RPCs) or from the state dialects keep (a stored response fetched or deleted). `answer(state)` returns the
    JSON body, or an awaitable of it, or raises GatewayError; `operation` names it in the outcome."""

    answer: Callable[[LocalState], dict | Awaitable[dict]]
    operation: str = "local"


Parser = Callable[[ParseInput], "Generation | Unary | Local"]


@dataclass(frozen=True)
class Endpoint:
    """One route of a dialect: a parser (generation, unary or local), or a model listing ("list" or "get").
    A parser of a route whose methods are all GET, HEAD or DELETE gets no body (`ParseInput.body` None).

    Several dialects may declare the same path and methods: one whose `when(headers)` is true takes the
    request alone; otherwise the declarations without `when` answer together, their listing bodies and
    error bodies merged (one body that each of their clients accepts).
    """

    path: str
    methods: tuple[str, ...]
    parse: Parser | None = None
    listing: Literal["list", "get"] | None = None
    when: Callable[[Mapping[str, str]], bool] | None = None
    api: str | None = None  # the API's name in outcomes and logs when not the dialect's ("openai-responses")
    bodiless: bool = False  # a POST whose body is not read (an action on a path: a cancel)


class Dialect(abc.ABC):
    """An inbound API. `name` is used in outcomes and logs; `prefixes` are path prefixes whose unmatched
    requests (404s, auth failures) get this dialect's error shape; `listing_page_size` is the listing's
    default page size (None: the whole list)."""

    name: str
    prefixes: tuple[str, ...] = ()
    listing_page_size: int | None = None

    @property
    @abc.abstractmethod
    def endpoints(self) -> tuple[Endpoint, ...]:
        """The routes this dialect serves."""

    @abc.abstractmethod
    def error_body(self, err: GatewayError) -> dict:
        """The API's error JSON for a gateway error (its own 400/401/404/429/5xx shapes)."""

    def error_status(self, err: GatewayError) -> int:
        """The HTTP status the API uses for `err` (default: the error's own; Anthropic says 529 for overload)."""
        return err.status

    def list_models(self, entries: list[tuple[str, dict]], next_page: str | None) -> dict:
        """A model-list body from (listed id, Gemini Model resource) pairs; `next_page` is the token of the
        following page (None: last page). NotImplementedError unless the dialect declares a listing."""
        raise NotImplementedError

    def get_model(self, listed: str, resource: dict) -> dict:
        """A single-model body for `listed` (the id as the client named it) and its Gemini Model resource.
        NotImplementedError unless the dialect declares a listing."""
        raise NotImplementedError

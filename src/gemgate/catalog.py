"""The model catalogue, aliases, and the model-name grammar (suffixes are parsed here, once).

    name     := [kind "/"] ["models/"] base {suffix} ["@think=" 0-4] ["@gem=" gem-id]
    suffix   := -thinking | -nothinking | -maxthinking | -low | -medium | -high | -search

`@gem=<id>` names a gem (a saved set of instructions of a Gemini web-app account, reference/gemini-web-protocol.md
§6.5) for the request: only kinds with the GEMS capability serve it (`pipeline`); the id is 1-64 ASCII letters,
digits, `_` or `-` (predefined gems look like "coding-partner", custom ones are hex).

A suffix is only taken off when the name with it is not itself a known model, so real ids such as
`gemini-2.0-flash-thinking-exp` keep working. Each suffix may appear once, and one effort at most (`-thinking`
may go with one); anything else, and an @think= that is not one ASCII digit 0-4, is a 400. Parsing is linear
in the name's length, and names longer than `Catalog.max_name_length` are refused before it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace

from .errors import GatewayError, bad_request
from .gemini.capabilities import Refused, capabilities, check_thinking_config
from .gemini.request_rules import apply_request_rules
from .gemini.thinking import DEPTHS, ThinkingRequest, effort_notes, family, merge_thinking, thinking_config

_SUFFIX_EFFORT = {
    "-nothinking": "none",
    "-maxthinking": "max",
    "-thinking": "auto",
    "-low": "low",
    "-medium": "medium",
    "-high": "high",
}
_THINK = "@think="
_THINK_DEPTH = re.compile(r"[0-4]", re.ASCII)
_GEM = "@gem="
_GEM_ID = re.compile(r"[A-Za-z0-9_-]{1,64}", re.ASCII)  # one ASCII digit: int() never sees a long or non-ASCII one
_SUFFIXES = ("-search", *_SUFFIX_EFFORT)
MAX_NAME_LENGTH = 256  # the default of Settings.limits.model_name_chars


class BadName(ValueError):
    """A model name that breaks the grammar (an @think= value that is not 0-4, two thinking suffixes): a 400."""


@dataclass(frozen=True)
class ModelSpec:
    """A resolved model name: what the client sent, the upstream model id, and what its suffixes ask for.

    `kinds` is the set of upstream kinds the name pins (None: any kind may serve it). `output_token_limit`
    is the most tokens the model can generate (maxOutputTokens ceiling): the served Model resource's
    `outputTokenLimit` (ai.google.dev/api/models#Model), else the capability table's row, else None.
    """

    requested: str
    model: str
    kinds: frozenset[str] | None
    thinking: ThinkingRequest | None
    search: bool = False
    output_token_limit: int | None = None
    gem: str | None = None  # the gem its `@gem=` suffix names (see the module docstring)

    @property
    def thinks(self) -> bool:
        """Whether the model has a thinking family (Gemini 2.5 and 3.x)."""
        return family(self.model) is not None


@dataclass(frozen=True)
class ParsedName:
    """A client model name taken apart: base model id, pinned kind, effort and search suffixes."""

    base: str
    kind: str | None
    effort: str | None
    search: bool


def parse_name(
    name: str, known: Callable[[str, str | None], bool], kinds: Iterable[str], longest: int | None = None
) -> ParsedName | None:
    """Split a client model name; `known(base, kind)` says whether an upstream serves `base`.

    `longest` is the length of the longest id `known` can accept (None: unbounded); it keeps the work linear
    in the name's length, as `known` is only asked about candidates that short. Returns None when no reading
    of the name is a known model; raises BadName for an `@think=` other than one ASCII digit 0-4, and for a
    name with two effort suffixes (`-high-low`; `-thinking` may go with one of them) or one suffix twice.
    """
    kind = None
    head, sep, rest = name.partition("/")
    if sep and head in kinds:
        kind, name = head, rest
    name = name.removeprefix("models/")
    effort = None
    at = name.rfind(_THINK)
    if at >= 0:
        value = name[at + len(_THINK) :]
        if not _THINK_DEPTH.fullmatch(value):
            raise BadName(f"'{_THINK}' takes one digit from 0 (deepest) to 4 (shallowest)")
        effort = DEPTHS[int(value)]
        name = name[:at]
    # Take suffixes off from the right, one at a time, until what is left is a known id. Each step looks
    # at a few characters only (endswith within bounds); `known` sees only candidates short enough.
    end = len(name)
    search = False
    seen: set[str] = set()
    while longest is not None and end > longest or not known(name[:end], kind):
        for suffix in _SUFFIXES:
            if name.endswith(suffix, 0, end):
                break
        else:
            return None
        if suffix in seen:
            raise BadName(f"the suffix '{suffix}' appears twice in the model name")
        seen.add(suffix)
        end -= len(suffix)
        if suffix == "-search":
            search = True
        elif effort is None or effort == "auto":
            effort = _SUFFIX_EFFORT[suffix]
        elif _SUFFIX_EFFORT[suffix] != "auto":
            raise BadName("the model name asks for two thinking efforts; use one suffix (or @think=N)")
    return ParsedName(name[:end], kind, effort, search)


def split_gem(name: str) -> tuple[str, str | None]:
    """(the name without its trailing `@gem=<id>`, the id or None). Raises BadName for an id outside the
    grammar of the module docstring."""
    at = name.rfind(_GEM)
    if at < 0:
        return name, None
    gem = name[at + len(_GEM):]
    if not _GEM_ID.fullmatch(gem):
        raise BadName(f"'{_GEM}' takes a gem id (1-64 letters, digits, '_' or '-'), last in the name")
    return name[:at], gem


def apply_model_spec(
    request: dict, spec: ModelSpec, asked: ThinkingRequest | None = None, names: Mapping[str, str] | None = None
) -> tuple[str, ...]:
    """Write into a Gemini GenerateContentRequest what the model name and the client's thinking fields ask.

    `asked` is what the request's own fields ask for (None: nothing, leave the request's thinkingConfig
    alone unless a suffix asks). Sets `generationConfig.thinkingConfig` and adds the `googleSearch` tool
    for `-search`. Every dialect passes here, so this is where thinking settings meet the model's
    capabilities (gemini.capabilities): a request's own thinkingConfig (Gemini-native) is checked as is,
    an explicit budget is sent as is or refused. Raises GatewayError 400 naming the parameter and what is
    allowed, and when thinking is asked of a model that cannot think.

    `generationConfig.maxOutputTokens` above the model's output token limit is brought down to it (Google
    refuses it: "Unable to submit request because it has a maxOutputTokens value of 655360 but the supported
    range is from 1 (inclusive) to 8193 (exclusive)", public reports stackblitz-labs/bolt.diy#955,
    BerriAI/litellm#10548; clients such as aider send their own large defaults). Parameters and combinations
    the model's family rejects are dropped when without effect or refused (`gemini.request_rules`, naming
    the client's parameter through `names`). Returns what was brought into range or dropped, one note each
    ("maxOutputTokens=65536 (asked 100000: ...)"), and where an effort name could not be honoured as named
    (`gemini.thinking.effort_notes`), for the response header.
    """
    thinking = merge_thinking(spec.thinking, asked)
    notes: list[str] = []
    try:
        if thinking is not None:
            if not spec.thinks:
                if thinking.adaptive:
                    pass  # left to the model, which does not think
                elif thinking.effort not in (None, "none", "auto") or thinking.budget or thinking.level is not None:
                    if thinking.budget or thinking.level is not None:
                        param = thinking.param
                    else:  # an effort name: the request's own field, or the model name's suffix
                        param = "reasoning_effort" if asked is not None and asked.effort is not None else "model"
                    raise bad_request(f"The model '{spec.requested}' does not support thinking", param)
            else:
                config = thinking_config(spec.model, thinking)
                if config is not None:
                    request.setdefault("generationConfig", {})["thinkingConfig"] = config
                    notes += effort_notes(spec.model, thinking, config)
        else:
            generation = request.get("generationConfig")
            if isinstance(generation, dict) and generation.get("thinkingConfig") is not None:
                check_thinking_config(spec.model, generation["thinkingConfig"])
        search_param = None
        if spec.search:
            tools = request.setdefault("tools", [])
            if not any("googleSearch" in t for t in tools if isinstance(t, dict)):
                tools.append({"googleSearch": {}})
                search_param = "model"  # its -search suffix asked for Google Search
        notes += apply_request_rules(spec.model, request, names, search_param)
    except Refused as exc:
        raise bad_request(str(exc), exc.param) from None
    generation = request.get("generationConfig")
    if spec.output_token_limit and isinstance(generation, dict):
        most = generation.get("maxOutputTokens")
        if isinstance(most, int) and not isinstance(most, bool) and most > spec.output_token_limit:
            generation["maxOutputTokens"] = spec.output_token_limit
            notes.append(f"maxOutputTokens={spec.output_token_limit} (asked {most}: the output token limit of {spec.model})")
    return tuple(notes)


# How to add a first account, said by `gemgate serve` at start and by the 503 below: the key is asked for, never
# typed on the command line (where `ps` and the shell history show it).
NO_ACCOUNTS_HINT = ("add a Gemini API key with `gemgate accounts add-apikey --name NAME` (it asks for the key), "
                    "sign in a Google account with `gemgate login`, or bring accounts from another tool with "
                    "`gemgate import PATH`")


def no_accounts_error() -> GatewayError:
    """The error every model request gets while the gateway has no upstream account at all: 503, code
    "no_accounts", saying that none is configured and how to add one (a running server picks it up)."""
    return GatewayError(
        503,
        "No upstream account is configured on this gateway, so no model can be served yet: "
        f"{NO_ACCOUNTS_HINT} (a running server picks it up at once).",
        code="no_accounts",
    )


class Catalog:
    """Which models exist, from the accounts' discovery results, plus configured aliases.

    `kinds` are the registered upstream kind names a model name may be pinned to ("gemini-api/...").
    """

    def __init__(
        self, aliases: dict[str, str] | None = None, kinds: Iterable[str] = (), max_name_length: int = MAX_NAME_LENGTH,
        default_model: str | None = None,
    ) -> None:
        self.aliases = dict(aliases or {})
        self.default_model = default_model  # the model of a request naming none (Settings.default_model)
        self.kinds = tuple(kinds)
        self.max_name_length = max_name_length  # a longer client model name is a 400 before any parsing
        self._longest = 0  # the longest served id, so name parsing stays linear
        self._models: dict[str, dict] = {}  # id -> Gemini Model resource
        self._kinds: dict[str, set[str]] = {}  # id -> upstream kinds serving it
        self._resolved: dict[str, ModelSpec] = {}  # client name -> spec, until the catalogue changes
        # How many accounts the pool holds (set by the gateway); 0 turns "no such model" into "no account".
        self.accounts: int | None = None

    def replace(self, served: dict[str, dict[str, dict]]) -> None:
        """Take a new view of what is served: kind -> {model id -> Gemini Model resource}."""
        models: dict[str, dict] = {}
        kinds: dict[str, set[str]] = {}
        for kind, resources in served.items():
            for model_id, resource in resources.items():
                models.setdefault(model_id, resource)
                kinds.setdefault(model_id, set()).add(kind)
        self._models, self._kinds = models, kinds
        self._longest = max(map(len, models), default=0)
        self._resolved = {}

    def known(self, model: str, kind: str | None = None) -> bool:
        """Whether some account (of `kind`, if given) serves the model id."""
        kinds = self._kinds.get(model)
        return bool(kinds) and (kind is None or kind in kinds)

    def kinds_of(self, model: str) -> frozenset[str]:
        """The upstream kinds some account of which serves the model id (empty when none does)."""
        return frozenset(self._kinds.get(model, ()))

    def resource(self, model: str) -> dict | None:
        """The Gemini Model resource for a model id, if served."""
        return self._models.get(model)

    def entries(self) -> list[tuple[str, dict]]:
        """(listed id, Gemini Model resource): plain ids, kind-pinned ids, then aliases, each sorted."""
        out = [(m, r) for m, r in sorted(self._models.items())]
        for m in sorted(self._models):
            for kind in sorted(self._kinds[m]):
                out.append((f"{kind}/{m}", self._models[m]))
        for alias, target in sorted(self.aliases.items()):
            try:
                spec = self._try_resolve(target)
            except BadName:
                continue
            if spec is not None:
                out.append((alias, self._models[spec.model]))
        return out

    def _try_resolve(self, name: str) -> ModelSpec | None:
        name, gem = split_gem(name)  # BadName propagates
        parsed = parse_name(name, self.known, self.kinds, self._longest)
        if parsed is None:
            return None
        thinking = ThinkingRequest(effort=parsed.effort) if parsed.effort else None
        kinds = frozenset({parsed.kind}) if parsed.kind else None
        limit = (self._models.get(parsed.base) or {}).get("outputTokenLimit")
        if not isinstance(limit, int) or isinstance(limit, bool) or limit <= 1:  # embeddings list 1
            limit = capabilities(parsed.base).output_token_limit
        return ModelSpec(name, parsed.base, kinds, thinking, parsed.search, limit, gem)

    def _not_served(self, name: str, target: str) -> str:
        """Why `name` (`target` after aliases) is a 404: for a name pinned to a kind, what that kind's accounts
        do serve (e.g. free Gemini web-app accounts have no Pro model), at most 20 ids."""
        kind = target.partition("/")[0] if "/" in target else None
        if kind in self.kinds:
            have = sorted(m for m, kinds in self._kinds.items() if kind in kinds)
            listed = ", ".join(f"{kind}/{m}" for m in have[:20]) + (", …" if len(have) > 20 else "")
            return (f"The model '{name}' is not served by the {kind} accounts that could take this request: "
                    + (f"they have {listed}" if have else "there is none") + ". "
                    "GET /v1/models lists the models available to you.")
        return (f"The model '{name}' does not exist or no configured account serves it. "
                "GET /v1/models lists the models available to you.")

    def resolve(self, name: object) -> ModelSpec:
        """The ModelSpec for a client's model name (aliases first; None or "": `default_model` when set).

        Raises GatewayError 400 when the name is missing, not a string, longer than `max_name_length` or
        breaks the grammar (see `parse_name`), 404 (code model_not_found) when nothing serves it, and
        `no_accounts_error()` (503) when the pool has no account at all, so nothing could serve it.
        """
        if name in (None, "") and self.default_model:
            name = self.default_model
        if not isinstance(name, str) or not name:
            raise GatewayError(400, "'model' is required: a model id such as gemini-2.5-flash", param="model")
        if len(name) > self.max_name_length:
            raise GatewayError(
                400, f"'model' is {len(name)} characters long; at most {self.max_name_length} are allowed", param="model"
            )
        cached = self._resolved.get(name)
        if cached is not None:
            return cached
        target = self.aliases.get(name, name)
        try:
            spec = self._try_resolve(target)
        except BadName as exc:
            raise GatewayError(400, f"The model name '{name}' is malformed: {exc}", param="model") from None
        if spec is None and self.accounts == 0:
            raise no_accounts_error()
        if spec is None:
            raise GatewayError(404, self._not_served(name, target), param="model", code="model_not_found")
        spec = replace(spec, requested=name)
        if len(self._resolved) < 4096:  # client-chosen names: bounded
            self._resolved[name] = spec
        return spec

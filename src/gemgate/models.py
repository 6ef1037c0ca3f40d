"""The model catalogue, aliases, and the model-name grammar.

    name     := [kind "/"] ["models/"] base {suffix} ["@think=" 0-4]
    suffix   := -thinking | -nothinking | -maxthinking | -low | -medium | -high | -search

A suffix is only taken off when the name with it is not itself a known model, so real ids such as
`gemini-2.0-flash-thinking-exp` keep working.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import GatewayError
from .thinking import DEPTHS, ThinkingRequest, family

KINDS = ("gemini-api", "code-assist", "gemini-web")

_SUFFIX_EFFORT = {
    "-nothinking": "none",
    "-maxthinking": "max",
    "-thinking": "auto",
    "-low": "low",
    "-medium": "medium",
    "-high": "high",
}
_THINK_DEPTH = re.compile(r"@think=(\d+)$")


@dataclass(frozen=True)
class ModelSpec:
    requested: str  # what the client sent
    model: str  # the upstream model id
    kinds: frozenset[str] | None  # pinned upstream kinds, None = any
    thinking: ThinkingRequest | None  # from a suffix; request fields may add to it
    search: bool = False

    @property
    def thinks(self) -> bool:
        return family(self.model) is not None


@dataclass(frozen=True)
class ParsedName:
    base: str
    kind: str | None
    effort: str | None
    search: bool


def parse_name(name: str, known) -> ParsedName | None:
    """Split a client model name; `known(base, kind)` says whether an upstream serves `base`."""
    kind = None
    head, sep, rest = name.partition("/")
    if sep and head in KINDS:
        kind, name = head, rest
    if name.startswith("models/"):
        name = name[len("models/") :]
    effort = None
    search = False
    depth = _THINK_DEPTH.search(name)
    if depth:
        level = int(depth.group(1))
        if level >= len(DEPTHS):
            return None
        effort = DEPTHS[level]
        name = name[: depth.start()]
    while not known(name, kind):
        for suffix in ("-search", *_SUFFIX_EFFORT):
            if name.endswith(suffix):
                name = name[: -len(suffix)]
                if suffix == "-search":
                    search = True
                elif effort is None or effort == "auto":
                    effort = _SUFFIX_EFFORT[suffix]
                break
        else:
            return None
    return ParsedName(name, kind, effort, search)


class Catalog:
    """Which models exist, from the accounts' discovery results, plus configured aliases."""

    def __init__(self, aliases: dict[str, str] | None = None) -> None:
        self.aliases = dict(aliases or {})
        self._models: dict[str, dict] = {}  # id -> Gemini Model resource
        self._kinds: dict[str, set[str]] = {}  # id -> upstream kinds serving it

    def replace(self, served: dict[str, dict[str, dict]]) -> None:
        """served: kind -> {model id -> Model resource}."""
        models: dict[str, dict] = {}
        kinds: dict[str, set[str]] = {}
        for kind, resources in served.items():
            for model_id, resource in resources.items():
                models.setdefault(model_id, resource)
                kinds.setdefault(model_id, set()).add(kind)
        self._models, self._kinds = models, kinds

    def known(self, model: str, kind: str | None = None) -> bool:
        kinds = self._kinds.get(model)
        return bool(kinds) and (kind is None or kind in kinds)

    def resource(self, model: str) -> dict | None:
        return self._models.get(model)

    def entries(self) -> list[tuple[str, dict]]:
        """(listed id, Model resource): plain ids, kind-pinned ids, then aliases."""
        out = [(m, r) for m, r in sorted(self._models.items())]
        for m in sorted(self._models):
            for kind in sorted(self._kinds[m]):
                out.append((f"{kind}/{m}", self._models[m]))
        for alias, target in sorted(self.aliases.items()):
            spec = self._try_resolve(target)
            if spec is not None:
                out.append((alias, self._models[spec.model]))
        return out

    def _try_resolve(self, name: str) -> ModelSpec | None:
        parsed = parse_name(name, self.known)
        if parsed is None:
            return None
        thinking = ThinkingRequest(effort=parsed.effort) if parsed.effort else None
        kinds = frozenset({parsed.kind}) if parsed.kind else None
        return ModelSpec(name, parsed.base, kinds, thinking, parsed.search)

    def resolve(self, name: str) -> ModelSpec:
        if not isinstance(name, str) or not name:
            raise GatewayError(400, "'model' is required: a model id such as gemini-2.5-flash", param="model")
        target = self.aliases.get(name, name)
        spec = self._try_resolve(target)
        if spec is None:
            raise GatewayError(
                404,
                f"The model '{name}' does not exist or no configured account serves it. "
                "GET /v1/models lists the models available to you.",
                param="model",
                code="model_not_found",
            )
        return ModelSpec(name, spec.model, spec.kinds, spec.thinking, spec.search)

"""The model-name grammar: kind prefixes, suffixes, @think=N, aliases, unknown names."""

import pytest

from gemgate.errors import GatewayError
from gemgate.catalog import Catalog, parse_name
from gemgate.gemini.thinking import ThinkingRequest

KNOWN = {
    "gemini-api": {"gemini-2.5-flash", "gemini-2.5-pro", "gemini-3-pro-preview", "gemini-2.0-flash-thinking-exp"},
    "code-assist": {"gemini-2.5-pro"},
}


def catalog(**aliases) -> Catalog:
    cat = Catalog(aliases, kinds=(*KNOWN, "gemini-web"))
    cat.replace({kind: {m: {"name": f"models/{m}"} for m in ids} for kind, ids in KNOWN.items()})
    return cat


@pytest.mark.parametrize(
    "name, base, kind, effort, search",
    [
        ("gemini-2.5-flash", "gemini-2.5-flash", None, None, False),
        ("models/gemini-2.5-flash", "gemini-2.5-flash", None, None, False),
        ("gemini-api/gemini-2.5-flash", "gemini-2.5-flash", "gemini-api", None, False),
        ("code-assist/gemini-2.5-pro-high", "gemini-2.5-pro", "code-assist", "high", False),
        ("gemini-2.5-flash-thinking", "gemini-2.5-flash", None, "auto", False),
        ("gemini-2.5-flash-nothinking", "gemini-2.5-flash", None, "none", False),
        ("gemini-2.5-pro-maxthinking", "gemini-2.5-pro", None, "max", False),
        ("gemini-2.5-flash-low", "gemini-2.5-flash", None, "low", False),
        ("gemini-2.5-flash-medium", "gemini-2.5-flash", None, "medium", False),
        ("gemini-2.5-flash-search", "gemini-2.5-flash", None, None, True),
        ("gemini-2.5-flash-high-search", "gemini-2.5-flash", None, "high", True),
        ("gemini-2.5-flash-search-high", "gemini-2.5-flash", None, "high", True),
        ("gemini-2.5-flash@think=0", "gemini-2.5-flash", None, "max", False),
        ("gemini-2.5-flash@think=4", "gemini-2.5-flash", None, "minimal", False),
        ("gemini-2.5-flash-search@think=2", "gemini-2.5-flash", None, "medium", True),
        # a real id that merely looks like a suffixed one stays whole
        ("gemini-2.0-flash-thinking-exp", "gemini-2.0-flash-thinking-exp", None, None, False),
    ],
)
def test_grammar(name, base, kind, effort, search):
    cat = catalog()
    parsed = parse_name(name, cat.known, cat.kinds)
    assert parsed is not None
    assert (parsed.base, parsed.kind, parsed.effort, parsed.search) == (base, kind, effort, search)


@pytest.mark.parametrize(
    "name",
    ["gemini-9-ultra", "gemini-2.5-flash-turbo", "gemini-web/gemini-2.5-flash", "code-assist/gemini-2.5-flash"],
)
def test_unknown_names(name):
    assert parse_name(name, catalog().known, catalog().kinds) is None
    with pytest.raises(GatewayError) as exc:
        catalog().resolve(name)
    assert exc.value.status == 404
    assert "/v1/models" in exc.value.message


def test_resolve_spec_and_alias():
    cat = catalog(fast="gemini-api/gemini-2.5-flash-low")
    spec = cat.resolve("fast")
    assert spec.requested == "fast"
    assert spec.model == "gemini-2.5-flash"
    assert spec.kinds == frozenset({"gemini-api"})
    assert spec.thinking == ThinkingRequest(effort="low")


def test_listing_has_plain_pinned_and_alias_ids():
    ids = [listed for listed, _ in catalog(fast="gemini-2.5-flash").entries()]
    assert "gemini-2.5-pro" in ids
    assert "gemini-api/gemini-2.5-pro" in ids
    assert "code-assist/gemini-2.5-pro" in ids
    assert "code-assist/gemini-2.5-flash" not in ids
    assert "fast" in ids


def test_missing_model_is_400():
    with pytest.raises(GatewayError) as exc:
        catalog().resolve(None)
    assert exc.value.status == 400

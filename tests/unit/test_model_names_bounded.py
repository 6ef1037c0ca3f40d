"""Issue 7 §3/§4: the model-name grammar is linear, bounded and strict (400, never 500 or a stall)."""

import time

import pytest

from gemgate.catalog import Catalog, parse_name
from gemgate.errors import GatewayError

KNOWN = {"gemini-api": {"gemini-2.5-flash", "gemini-2.5-pro", "gemini-2.0-flash-thinking-exp"}}


def catalog(**kw) -> Catalog:
    cat = Catalog({}, kinds=tuple(KNOWN))
    for name, value in kw.items():
        setattr(cat, name, value)
    cat.replace({kind: {m: {"name": f"models/{m}"} for m in ids} for kind, ids in KNOWN.items()})
    return cat


@pytest.mark.parametrize(
    "name",
    [
        "gemini-2.5-flash@think=" + "9" * 5000,  # was ValueError from int() (4300-digit limit): a 500
        "gemini-2.5-flash@think=٣",  # an Arabic-Indic digit: \d took it and int() read it as 3
        "gemini-2.5-flash@think=5",
        "gemini-2.5-flash@think=",
        "gemini-2.5-flash@think=-1",
        "gemini-2.5-flash-high-low",  # two efforts: the right one silently won
        "gemini-2.5-flash-low@think=2",
        "gemini-2.5-flash-search-search",
        "gemini-2.5-flash-thinking-thinking",
    ],
)
def test_malformed_names_are_400(name):
    with pytest.raises(ValueError):  # catalog.BadName
        parse_name(name, catalog().known, catalog().kinds)
    cat = catalog(max_name_length=10_000)
    with pytest.raises(GatewayError) as exc:
        cat.resolve(name)
    assert exc.value.status == 400 and exc.value.param == "model"


@pytest.mark.parametrize("name", ["gemini-2.5-flash-thinking-high", "gemini-2.5-flash-high-thinking", "gemini-2.5-flash-search-low"])
def test_thinking_with_one_effort_still_parses(name):
    assert catalog().resolve(name).model == "gemini-2.5-flash"


def test_long_names_are_400_before_parsing():
    cat = catalog()
    name = "gemini-2.5-flash" + "-low" * 250_000  # ~1 MB: blocked the event loop for 30 s
    started = time.perf_counter()
    with pytest.raises(GatewayError) as exc:
        cat.resolve(name)
    assert exc.value.status == 400 and "at most 256" in exc.value.message
    assert time.perf_counter() - started < 0.05
    with pytest.raises(GatewayError):
        cat.resolve("g" * 257)
    assert cat.resolve("models/gemini-2.5-flash").model == "gemini-2.5-flash"


@pytest.mark.parametrize("suffix", ["-search", "-low", "-x"])
def test_parse_is_linear_without_the_cap(suffix):
    # parse_name itself (the cap aside) takes suffixes off in linear time: 60,000 "-search" took 6 s.
    cat = catalog()
    for n in (30_000, 120_000):
        name = "gemini-2.5-flash" + suffix * n
        started = time.perf_counter()
        try:
            parsed = parse_name(name, cat.known, cat.kinds, 32)
        except ValueError:  # catalog.BadName
            parsed = None
        assert parsed is None
        assert time.perf_counter() - started < 0.5, n

"""Tests for gemgate.gemini.names: tool names <-> Gemini function names."""

from __future__ import annotations

import itertools
import re

import pytest

from gemgate.gemini.names import MAX_FUNCTION_NAME_LENGTH, ToolNameMap, gemini_function_name, is_valid_gemini_function_name


NAME_RULE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]{0,63}$")  # portable subset (no colon)

VALID_NAMES = ["get_weather", "mcp__server__tool", "a.b-c_d", "_private", "X", "f" * 64, "Tool2"]

NAME_CASES = [
    ("mcp__server__tool/name with spaces", "mcp__server__tool_name_with_spaces"),
    ("1password_lookup", "_1password_lookup"),
    ("-dash", "_-dash"),
    (".dot", "_.dot"),
    ("", "_"),
    ("ns:tool", "ns_tool"),
    ("mcp__github__create-issue(v2)", "mcp__github__create-issue_v2_"),
    ("工具", "__"),
    ("résumé", "r_sum_"),
    ("tab\tand\nnewline", "tab_and_newline"),
]


@pytest.mark.parametrize("name", VALID_NAMES)
def test_valid_names_pass_through(name: str) -> None:
    assert is_valid_gemini_function_name(name)
    assert gemini_function_name(name) == name


@pytest.mark.parametrize(("name", "expected"), NAME_CASES)
def test_invalid_names_sanitised(name: str, expected: str) -> None:
    assert not is_valid_gemini_function_name(name)
    assert gemini_function_name(name) == expected
    assert NAME_RULE.match(expected)


def test_long_names_truncated_with_hash() -> None:
    base = "mcp__some_server_with_a_long_name__" + "very_long_tool_name_" * 3
    a, b = base + "alpha", base + "beta"
    ga, gb = gemini_function_name(a), gemini_function_name(b)
    assert len(ga) == MAX_FUNCTION_NAME_LENGTH and len(gb) == MAX_FUNCTION_NAME_LENGTH
    assert ga != gb and ga[:40] == a[:40]
    assert re.search(r"_[0-9a-f]{8}$", ga)
    assert gemini_function_name(a) == ga  # deterministic
    assert NAME_RULE.match(ga) and NAME_RULE.match(gb)
    assert gemini_function_name("f" * 65) != "f" * 64


def test_none_name() -> None:
    assert gemini_function_name(None) == "_"


# ---------------------------------------------------------------------------
# ToolNameMap
# ---------------------------------------------------------------------------


def test_name_map_round_trip() -> None:
    names = ["get_weather", "mcp__fs__read file", "9lives", "x" * 100]
    m = ToolNameMap(names)
    for name in names:
        g = m.to_gemini(name)
        assert NAME_RULE.match(g)
        assert m.to_client(g) == name
    assert m.to_gemini("get_weather") == "get_weather"
    assert {c for c in names if m.to_gemini(c) != c} == {"mcp__fs__read file", "9lives", "x" * 100}
    assert "9lives" in m and "unknown" not in m


@pytest.mark.parametrize("order", [["a b", "a_b"], ["a_b", "a b"]])
def test_name_map_collisions_keep_valid_names(order: list[str]) -> None:
    m = ToolNameMap(order)
    assert m.to_gemini("a_b") == "a_b"
    other = m.to_gemini("a b")
    assert other != "a_b" and other.startswith("a_b_") and NAME_RULE.match(other)
    assert m.to_client("a_b") == "a_b" and m.to_client(other) == "a b"


def test_name_map_many_collisions_are_distinct() -> None:
    names = ["t/1", "t 1", "t+1", "t?1", "t_1"]
    m = ToolNameMap(names)
    gemini = [m.to_gemini(n) for n in names]
    assert len(set(gemini)) == len(names)
    assert [m.to_client(g) for g in gemini] == names


def test_name_map_long_name_collisions() -> None:
    prefix = "p" * 70
    names = [prefix + "/a", prefix + " a"]  # same sanitised text, different originals
    m = ToolNameMap(names)
    g = [m.to_gemini(n) for n in names]
    assert g[0] != g[1] and all(len(x) <= 64 for x in g)


def test_name_map_unknown_and_lazy_names() -> None:
    m = ToolNameMap(["read file"])
    assert m.to_client("some_other_tool") == "some_other_tool"
    g = m.to_gemini("from history/tool")  # e.g. an old functionCall in the transcript
    assert g == "from_history_tool" and m.to_client(g) == "from history/tool"


def test_name_map_empty_name_is_still_valid() -> None:
    # A nameless tool result must not reach Gemini as "" ("function_response.name
    # cannot be empty", cline/cline#10687); "_" at least passes validation.
    m = ToolNameMap([])
    assert m.to_gemini("") == "_" and m.to_client("_") == ""


def test_name_map_duplicates_and_empty() -> None:
    m = ToolNameMap(["dup", "dup", "d u p", "d u p"])
    assert m.to_gemini("dup") == "dup" and m.to_gemini("d u p") == "d_u_p"
    assert ToolNameMap().to_client("x") == "x"


def test_colons_are_replaced() -> None:
    assert ToolNameMap(["srv:tool"]).to_gemini("srv:tool") == "srv_tool"


NAME_FAMILIES = [
    ["a:b", "a_b"],
    ["a b", "a_b", "a-b"],
    ["x/y", "x?y", "x_y", "x.y"],
    ["9x", "_9x"],
]


@pytest.mark.parametrize("family", NAME_FAMILIES, ids=lambda f: "|".join(f))
def test_valid_names_keep_their_name_in_every_order(family: list[str]) -> None:
    """A declared valid name is never renamed because of another declared tool, whatever their order."""
    for order in itertools.permutations(family):
        m = ToolNameMap(order)
        gemini = [m.to_gemini(n) for n in order]
        assert len(set(gemini)) == len(order)
        for name, g in zip(order, gemini):
            if is_valid_gemini_function_name(name):
                assert g == name, (order, gemini)
            assert m.to_client(g) == name

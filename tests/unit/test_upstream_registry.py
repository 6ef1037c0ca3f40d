"""The upstream registry: one instance per kind, each configured from its own validated section."""

from __future__ import annotations

import pytest

from gemgate.config import Settings
from gemgate.upstreams import UPSTREAM_KINDS, build_upstreams, kind_names, section_name
from gemgate.upstreams.base import Capability


def test_every_kind_is_built_with_its_section():
    built = build_upstreams({"gemini_api": {"base_url": "http://127.0.0.1:9/", "connect_timeout": 2}})
    assert set(built) == set(kind_names()) == set(UPSTREAM_KINDS)
    api = built["gemini-api"]
    assert api.base == "http://127.0.0.1:9/v1beta" and api.settings.connect_timeout == 2
    assert Capability.EMBED in api.capabilities and section_name("gemini-api") == "gemini_api"


@pytest.mark.parametrize(
    "sections, words",
    [
        ({"gemini_apj": {}}, ["[upstreams.gemini_apj]", "gemini_api"]),
        ({"gemini_api": {"base_uri": "x"}}, ["[upstreams.gemini_api]", "base_uri"]),
        ({"gemini_api": {"connect_timeout": "soon"}}, ["[upstreams.gemini_api]", "connect_timeout"]),
    ],
)
def test_a_bad_section_names_itself(sections, words):
    with pytest.raises(ValueError) as exc:
        build_upstreams(sections)
    assert all(w in str(exc.value) for w in words)


def test_sections_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("GEMGATE_UPSTREAMS__GEMINI_API__BASE_URL", "http://mirror.example")
    monkeypatch.setenv("GEMGATE_UPSTREAMS__GEMINI_API__PROXY", "http://proxy:3128")
    settings = Settings()
    api = build_upstreams(settings.upstreams)["gemini-api"]
    assert api.base == "http://mirror.example/v1beta" and api.settings.proxy == "http://proxy:3128"

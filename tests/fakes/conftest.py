"""Fixtures for the fake-upstream tests: one running fake Gemini API per module."""

from __future__ import annotations

from typing import Iterator

import pytest

from gemgate.testing import FakeGeminiAPI
from tests.support.http import Client


@pytest.fixture(scope="module")
def fake_url() -> Iterator[tuple[FakeGeminiAPI, str]]:
    fake = FakeGeminiAPI()
    with fake.running() as url:
        yield fake, url


@pytest.fixture
def http(fake_url: tuple[FakeGeminiAPI, str]) -> Client:
    return Client.gemini(fake_url[1])

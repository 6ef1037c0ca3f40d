"""Issue 7 §4, the generator: random and mutated bodies through every route of a running gateway.

Each case starts from a valid body of a route and mutates it (wrong types, nulls, huge numbers, unicode,
deep nesting, dropped and unknown fields; the model name too), or is random JSON. Whatever it is, the
gateway answers within the client's timeout, never with a 5xx of its own (502/503/504 may come from the fake
upstream), and every error is in the caller's format: OpenAI `{"error": {message, type, param, code}}` on
/v1/chat/completions and /v1/embeddings, google.rpc.Status `{"error": {code, message, status}}` on the
Gemini-native routes. Derandomized, so CI runs the same ~3,000 cases every time.
"""

from __future__ import annotations

import copy
import http.client
import json
import time
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.gateway import API_KEYS, GatewayThread

TIMEOUT = 15.0  # seconds for one exchange; the fake answers in milliseconds
UPSTREAM_CAUSED = {502, 503, 504}
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
FLASH = "gemini-2.5-flash"
EMBED = "gemini-embedding-001"

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
CHAT = {
    "model": "gemini-3-flash-preview",  # the one family that takes JSON output with function tools
    "messages": [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": [{"type": "text", "text": "hi"}, {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}}]},
        {"role": "assistant", "content": None, "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}]},
        {"role": "tool", "tool_call_id": "c1", "content": '{"temp": 20}'},
        {"role": "user", "content": [{"type": "input_audio", "input_audio": {"data": "UklGRiQAAABXQVZFZm10IA==", "format": "wav"}}, {"type": "file", "file": {"file_data": "JVBERi0=", "filename": "a.pdf"}}]},
    ],
    "tools": [WEATHER],
    "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
    "temperature": 0.5, "top_p": 0.9, "max_tokens": 50, "stop": ["zzz"], "n": 1, "seed": 7,
    "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object", "properties": {"a": {"type": "integer"}}}}},
    "reasoning_effort": "low", "parallel_tool_calls": True, "user": "u", "metadata": {"k": "v"},
    "modalities": ["text"],
}  # fmt: skip
# Penalties and logprobs: only 2.0 Flash takes them; Google Search alone (2.x refuses it with function tools).
CHAT_SAMPLING = {
    "model": "gemini-2.0-flash",
    "messages": [{"role": "user", "content": "hi"}],
    "presence_penalty": 0.1, "frequency_penalty": 0.1, "logprobs": True, "top_logprobs": 2, "web_search_options": {},
}  # fmt: skip
CHAT_STREAM = {
    "model": FLASH + "-high",
    "messages": [{"role": "developer", "content": "sys"}, {"role": "user", "content": "hello"}],
    "stream": True, "stream_options": {"include_usage": True},
    "extra_body": {"google": {"thinking_config": {"thinking_budget": 512, "include_thoughts": True}}},
    "response_format": {"type": "json_object"},
}  # fmt: skip
LEGACY = {
    "model": FLASH,
    "messages": [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": None, "function_call": {"name": "get_weather", "arguments": '{"city": "Rome"}'}},
        {"role": "function", "name": "get_weather", "content": "sunny"},
    ],
    "functions": [WEATHER["function"]],
    "function_call": {"name": "get_weather"},
}
EMBEDDINGS = {"model": EMBED, "input": ["alpha", "beta"], "encoding_format": "base64", "dimensions": 8}

CONTENTS = [
    {"role": "user", "parts": [{"text": "hi"}, {"inlineData": {"mimeType": "image/png", "data": PNG}}]},
    {"role": "model", "parts": [{"functionCall": {"name": "f", "args": {"a": 1}}}]},
    {"role": "user", "parts": [{"functionResponse": {"name": "f", "response": {"r": 1}}}]},
]
GENERATE = {
    "contents": CONTENTS,
    "systemInstruction": {"parts": [{"text": "sys"}]},
    "tools": [{"functionDeclarations": [{"name": "f", "description": "d", "parameters": {"type": "OBJECT", "properties": {"a": {"type": "INTEGER"}}}}]}],
    "toolConfig": {"functionCallingConfig": {"mode": "AUTO"}},
    "generationConfig": {"temperature": 0.3, "maxOutputTokens": 40, "thinkingConfig": {"thinkingBudget": 128, "includeThoughts": True}},
    "safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}],
}  # fmt: skip
GENERATE_SNAKE = {
    "contents": [{"role": "user", "parts": [{"text": "snake"}]}],
    "system_instruction": {"parts": [{"text": "sys"}]},
    "generation_config": {"response_mime_type": "application/json", "thinking_config": {"thinking_level": "low"}},
}
COUNT = {"contents": CONTENTS}
COUNT_WRAPPED = {"generateContentRequest": {"model": f"models/{FLASH}", "contents": CONTENTS}}
EMBED_ONE = {"content": {"parts": [{"text": "x"}]}, "taskType": "RETRIEVAL_QUERY", "outputDimensionality": 8}
EMBED_BATCH = {"requests": [{"model": f"models/{EMBED}", "content": {"parts": [{"text": "x"}]}}, {"content": {"parts": [{"text": "y"}]}}]}

# (route name, path template with {model}, seed body, the model that goes into the path, OpenAI-shaped errors)
ROUTES = {
    "chat": ("/v1/chat/completions", CHAT, None),
    "chat-stream": ("/v1/chat/completions", CHAT_STREAM, None),
    "chat-sampling": ("/v1/chat/completions", CHAT_SAMPLING, None),
    "chat-legacy": ("/v1/chat/completions", LEGACY, None),
    "embeddings": ("/v1/embeddings", EMBEDDINGS, None),
    "generate": ("/v1beta/models/{model}:generateContent", GENERATE, FLASH),
    "generate-v1-snake": ("/v1/models/{model}:generateContent", GENERATE_SNAKE, "gemini-3-pro-preview"),
    "stream-sse": ("/v1beta/models/{model}:streamGenerateContent?alt=sse", GENERATE, FLASH + "-low"),
    "stream-array": ("/v1beta/models/{model}:streamGenerateContent", GENERATE_SNAKE, "gemini-3-flash-preview"),
    "count": ("/v1beta/models/{model}:countTokens", COUNT, FLASH),
    "count-wrapped": ("/v1beta/models/{model}:countTokens", COUNT_WRAPPED, FLASH),
    "embed": ("/v1beta/models/{model}:embedContent", EMBED_ONE, EMBED),
    "embed-batch": ("/v1beta/models/{model}:batchEmbedContents", EMBED_BATCH, EMBED),
}


def nested(depth: int, leaf: object = 1) -> object:
    value = leaf
    for _ in range(depth):
        value = [value] if depth % 2 else {"k": value}
    return value


SPECIAL_STRINGS = st.sampled_from(
    [
        "", " ", "{", "[1,", '{"a":', "null", "0", "-1", "1e999", "NaN", "٣", "１２７.０.０.１", "\u0000", "\ud7ff\ue000",
        "\u202e", "😀" * 10, "a" * 5000, "data:", "data:image/png;base64,!!!", "data:,x", "data:;base64,QUJD",
        "http://127.0.0.1:1/x", "file:///etc/passwd", "auto", "none", "required", "text", "function", "user", "model",
        "assistant", "tool", "-search", "@think=", "@think=9", "models/", "gemini-api/", FLASH, FLASH + "-high-low",
        FLASH + "@think=" + "9" * 50, FLASH + "-search" * 40, "get_weather", "c1", "f", "OBJECT", "base64", "float",
    ]
)
JSON_LEAF = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**64),
    st.sampled_from([2**70, -(2**70), 10**30, 0, -1, 1 << 31]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    SPECIAL_STRINGS,
)
SMALL_JSON = st.recursive(
    JSON_LEAF,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)),
    max_leaves=8,
)
BAD_VALUES = st.one_of(
    JSON_LEAF,
    SMALL_JSON,
    st.integers(min_value=90, max_value=110).map(nested),  # around the default depth limit
    st.integers(min_value=1, max_value=300).map(lambda n: ["x"] * n),
    st.sampled_from([[], {}, [None], [{}], {"": None}, [[[]]]]),
)


def paths(value: object, here: tuple = ()) -> list[tuple]:
    """Every path (keys and indices) to a value inside `value`, the root excluded."""
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            found.append(here + (key,))
            found += paths(item, here + (key,))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found.append(here + (i,))
            found += paths(item, here + (i,))
    return found


def mutate(data, body: dict) -> dict:
    """One to three random changes at random places of a copy of `body`."""
    body = copy.deepcopy(body)
    for _ in range(data.draw(st.integers(min_value=1, max_value=3), label="mutations")):
        where = paths(body)
        if not where:
            break
        path = data.draw(st.sampled_from(where), label="path")
        parent = body
        for step in path[:-1]:
            parent = parent[step]
        last = path[-1]
        action = data.draw(st.sampled_from(["replace", "replace", "replace", "delete", "add", "repeat"]), label="action")
        if action == "replace":
            parent[last] = copy.deepcopy(data.draw(BAD_VALUES, label="value"))  # drawn constants stay unchanged
        elif action == "delete":
            parent.pop(last) if isinstance(parent, dict) else parent.pop(last)
        elif action == "add" and isinstance(parent[last], dict):
            parent[last][data.draw(st.text(max_size=8), label="key")] = copy.deepcopy(data.draw(SMALL_JSON, label="value"))
        elif action == "repeat" and isinstance(parent, list):
            times = data.draw(st.integers(min_value=1, max_value=40), label="times")
            parent.extend(copy.deepcopy(parent[last]) for _ in range(times))
    return body


@pytest.fixture(scope="module")
def fuzz_gw(fake_api, tmp_path_factory):
    """A gateway of its own, so whatever the cases do to the pool stays here."""
    with GatewayThread(tmp_path_factory.mktemp("fuzz"), fake_api.url, API_KEYS, max_attempts=1) as server:
        yield server


class Exchange:
    """One keep-alive connection to the gateway, reopened when the gateway closes it."""

    def __init__(self, gw) -> None:
        self.gw = gw
        self.conn: http.client.HTTPConnection | None = None

    def post(self, path: str, raw: bytes) -> tuple[int, dict, bytes, float]:
        headers = {"Authorization": f"Bearer {self.gw.key}", "Content-Type": "application/json"}
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.gw.port, timeout=TIMEOUT)
            started = time.monotonic()
            try:
                self.conn.request("POST", path, raw, headers)
                resp = self.conn.getresponse()
                body = resp.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # a keep-alive connection the server closed between two requests: retry once on a new one
                self.close()
                if attempt:
                    raise
                continue
            except BaseException:
                self.close()  # a timeout leaves the connection unusable; the next case starts afresh
                raise
            took = time.monotonic() - started
            if (resp.getheader("connection") or "").lower() == "close":
                self.close()
            return resp.status, dict(resp.getheaders()), body, took
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def check(status: int, body: bytes, took: float, *, google: bool, what: str) -> None:
    """The three promises: no gateway-made 5xx, no hang, errors in the caller's format."""
    assert took < TIMEOUT, what
    assert status < 500 or status in UPSTREAM_CAUSED, f"{status} for {what}: {body[:300]!r}"
    if status < 400:
        return
    error = json.loads(body)["error"]
    if google:
        assert {"code", "message", "status"} <= set(error), error
        assert error["code"] == status and isinstance(error["message"], str) and isinstance(error["status"], str), error
    else:
        assert set(error) == {"message", "type", "param", "code"}, error
        assert isinstance(error["message"], str) and isinstance(error["type"], str), error
        assert error["param"] is None or isinstance(error["param"], str), error
        assert error["code"] is None or isinstance(error["code"], str), error


SENT: dict[str, int] = {}  # cases sent per route (test_case_count checks the total)


def send(ex: Exchange, route: str, body: object, model: str | None = None) -> None:
    SENT[route] = SENT.get(route, 0) + 1
    template, _, path_model = ROUTES[route]
    model = path_model if model is None else model
    path = template.replace("{model}", quote(model, safe="-._~@=/:") if model is not None else "")
    raw = json.dumps(body, allow_nan=True).encode()  # NaN and Infinity are not JSON: the gateway says so
    status, _, answer, took = ex.post(path, raw)
    check(status, answer, took, google=template.startswith(("/v1beta", "/v1/models")), what=f"{route} {raw[:300]!r}")


EXAMPLES = 500  # per route: 13 routes x ~500 mutated + 13 x 40 model names + 500 random bodies ≈ 7,000 cases
SETTINGS = dict(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture(scope="module")
def exchange(fuzz_gw):
    ex = Exchange(fuzz_gw)
    yield ex
    ex.close()


def test_the_seeds_are_valid(exchange):
    """Every seed body is accepted as it is, so the mutations start from requests that work."""
    for route, (template, body, model) in ROUTES.items():
        path = template.replace("{model}", model or "")
        status, _, answer, _ = exchange.post(path, json.dumps(body).encode())
        assert status == 200, (route, answer[:500])


@pytest.mark.parametrize("route", list(ROUTES))
def test_mutated_bodies(exchange, route):
    @settings(max_examples=EXAMPLES, **SETTINGS)
    @given(st.data())
    def run(data):
        send(exchange, route, mutate(data, ROUTES[route][1]))

    run()


MODEL_NAMES = st.one_of(
    SPECIAL_STRINGS,
    st.text(max_size=40),
    st.lists(st.sampled_from(["-search", "-low", "-high", "-thinking", "-nothinking", "-maxthinking", "-medium", "-x", "@think=1"]), max_size=6).map(lambda s: FLASH + "".join(s)),
    st.integers(min_value=250, max_value=262).map(lambda n: FLASH + "-" + "x" * (n - len(FLASH) - 1)),
)


@pytest.mark.parametrize("route", list(ROUTES))
def test_model_names(exchange, route):
    @settings(max_examples=40, **SETTINGS)
    @given(MODEL_NAMES)
    def run(name):
        template, body, model = ROUTES[route]
        if model is None:
            send(exchange, route, {**body, "model": name})
        elif name and not name.startswith("/"):
            send(exchange, route, body, model=name)

    run()


@settings(max_examples=500, **SETTINGS)
@given(st.sampled_from(list(ROUTES)), st.one_of(SMALL_JSON, st.dictionaries(st.sampled_from(["model", "messages", "input", "contents", "requests", "content", "tools", "stream", "generationConfig", "generateContentRequest"]), SMALL_JSON, max_size=4)))
def test_random_bodies(exchange, route, body):
    send(exchange, route, body)


def test_case_count():
    """The run above sent a few thousand cases (runs last in this module)."""
    total = sum(SENT.values())
    if len(SENT) == len(ROUTES):  # the whole module ran, not a selection
        assert total >= 5_000, SENT
    print(f"\n{total} cases: {SENT}")

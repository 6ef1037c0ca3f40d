"""The google-genai Python SDK (unmodified, in-process) against the gateway's Gemini-native surface.

SDK 3.x defaults to api_version v1, so the default client exercises the gateway's /v1/models/{m}:...
routes and the hybrid GET /v1/models body (OpenAI + Gemini shapes in one); v1beta is what most other
Gemini clients use.
"""

from __future__ import annotations

import pytest
from google import genai
from google.genai import errors, types

from tests.support.upstream import upstream_body, upstream_requests

pytestmark = pytest.mark.clients

VERSIONS = [None, "v1beta"]  # None = the SDK's own default (v1 in google-genai 3.x)


@pytest.fixture(params=VERSIONS, ids=["default-v1", "v1beta"])
def client(request, gw):
    options = types.HttpOptions(base_url=gw.url, timeout=30_000)
    if request.param:
        options.api_version = request.param
    c = genai.Client(api_key=gw.key, http_options=options)
    c.expected_version = request.param or "v1"
    yield c
    c.close()


def test_default_api_version_is_v1(gw, fake_api):
    # Guards the premise of the "default-v1" cases: if a future SDK changes its default, say so.
    c = genai.Client(api_key=gw.key, http_options=types.HttpOptions(base_url=gw.url))
    assert c._api_client._http_options.api_version == "v1"


def test_generate_content(client, fake_api):
    marker = f"marker-genai-gen-{client.expected_version}"
    response = client.models.generate_content(model="gemini-2.5-flash", contents=f"hello {marker}")
    assert response.text == f"echo: hello {marker}"
    assert response.candidates[0].finish_reason == types.FinishReason.STOP
    usage = response.usage_metadata
    assert usage.prompt_token_count == 2 and usage.candidates_token_count > 0
    assert usage.total_token_count >= usage.prompt_token_count + usage.candidates_token_count
    upstream_body(fake_api, marker)  # it really reached the upstream


def test_generate_content_with_config(client):
    response = client.models.generate_content(
        model="gemini-2.5-flash",
        contents="a b c d e f g h",
        config=types.GenerateContentConfig(
            system_instruction="be terse",
            max_output_tokens=3,
            thinking_config=types.ThinkingConfig(thinking_budget=0),
        ),
    )
    assert response.candidates[0].finish_reason == types.FinishReason.MAX_TOKENS
    assert len(response.text.split()) == 3


def test_generate_content_stream(client):
    chunks = list(client.models.generate_content_stream(model="gemini-2.5-flash", contents="one two three four five six"))
    assert len(chunks) >= 2
    assert "".join(c.text or "" for c in chunks) == "echo: one two three four five six"
    assert chunks[-1].candidates[0].finish_reason == types.FinishReason.STOP
    assert chunks[-1].usage_metadata.total_token_count > 0


def test_thoughts_are_marked(client):
    response = client.models.generate_content(
        model="gemini-2.5-flash",
        contents="show your thinking",
        config=types.GenerateContentConfig(thinking_config=types.ThinkingConfig(include_thoughts=True, thinking_budget=256)),
    )
    parts = response.candidates[0].content.parts
    thoughts = [p.text for p in parts if p.thought]
    assert thoughts and "Considering the request" in thoughts[0]
    assert response.text == "echo: show your thinking"  # .text skips thought parts
    assert response.usage_metadata.thoughts_token_count > 0


def test_count_tokens(client):
    result = client.models.count_tokens(model="gemini-2.5-flash", contents="one two three four")
    assert result.total_tokens == 4


def test_models_list_and_get(client):
    names = [m.name for m in client.models.list()]
    assert len(names) == len(set(names))
    for wanted in ("gemini-2.5-flash", "gemini-2.5-pro", "gemini-3-pro-preview", "gemini-embedding-001"):
        assert f"models/{wanted}" in names
    model = client.models.get(model="gemini-2.5-flash")
    assert model.name == "models/gemini-2.5-flash"
    assert "generateContent" in model.supported_actions
    assert model.input_token_limit and model.input_token_limit > 0


def test_models_list_pagination_v1beta(gw, fake_api):
    c = genai.Client(api_key=gw.key, http_options=types.HttpOptions(base_url=gw.url, api_version="v1beta"))
    everything = [m.name for m in c.models.list()]
    pager = c.models.list(config={"page_size": 3})
    assert len(pager.page) == 3
    paged = [m.name for m in pager]  # the pager follows nextPageToken across pages
    assert paged == everything
    assert len(paged) > 3


def test_models_list_pagination_default_v1(gw):
    c = genai.Client(api_key=gw.key, http_options=types.HttpOptions(base_url=gw.url))
    pager = c.models.list(config={"page_size": 3})
    assert len(pager.page) == 3


def test_embed_content(client, fake_api):
    result = client.models.embed_content(model="gemini-embedding-001", contents=["first text", "a second text"])
    vectors = [e.values for e in result.embeddings]
    assert len(vectors) == 2
    assert len(vectors[0]) == len(vectors[1]) > 0
    assert all(isinstance(x, float) for x in vectors[0])
    assert vectors[0] != vectors[1]


def test_embed_content_dimensions(client):
    result = client.models.embed_content(
        model="gemini-embedding-001", contents="short", config=types.EmbedContentConfig(output_dimensionality=64)
    )
    assert len(result.embeddings[0].values) == 64


def test_automatic_function_calling(client, fake_api):
    marker = f"marker-afc-{client.expected_version}"
    seen = []

    def get_weather(city: str) -> str:
        """Current weather for a city."""
        seen.append(city)
        return f"sunny in {city} {marker}"

    response = client.models.generate_content(
        model="gemini-2.5-flash",
        contents='CALL get_weather {"city": "Paris"}',
        config=types.GenerateContentConfig(tools=[get_weather]),
    )
    assert seen == ["Paris"]
    assert response.text == f"tool result: sunny in Paris {marker}"
    history = response.automatic_function_calling_history
    assert [c.role for c in history] == ["user", "model", "user"]
    assert history[1].parts[0].function_call.name == "get_weather"
    assert len(upstream_requests(fake_api, marker)) == 1


def test_manual_function_calling_gemini_3(client, fake_api):
    """Manual loop on a Gemini 3 model: the SDK echoes the model turn, signature included."""
    marker = f"marker-genai-fc3-{client.expected_version}"
    decl = types.FunctionDeclaration(
        name="lookup",
        description="Look a word up",
        parameters_json_schema={"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]},
    )
    config = types.GenerateContentConfig(
        tools=[types.Tool(function_declarations=[decl])],
        automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
    )
    user = types.Content(role="user", parts=[types.Part(text='CALL lookup {"q": "gemgate"}')])
    first = client.models.generate_content(model="gemini-3-flash-preview", contents=[user], config=config)
    (call,) = first.function_calls
    assert call.name == "lookup" and call.args == {"q": "gemgate"}
    model_turn = first.candidates[0].content
    assert any(p.thought_signature for p in model_turn.parts), "the signature must reach the client"
    reply = types.Content(
        role="user", parts=[types.Part.from_function_response(name="lookup", response={"output": f"found {marker}"})]
    )
    final = client.models.generate_content(model="gemini-3-flash-preview", contents=[user, model_turn, reply], config=config)
    assert final.text == f"tool result: found {marker}"


def test_chat_session_streams(client):
    chat = client.chats.create(model="gemini-2.5-flash")
    assert chat.send_message("first turn").text == "echo: first turn"
    text = "".join(c.text or "" for c in chat.send_message_stream("second turn here"))
    assert text == "echo: second turn here"
    history = chat.get_history()
    # The SDK records every streamed chunk as its own model Content; collapse runs of one role.
    roles = [c.role for i, c in enumerate(history) if i == 0 or history[i - 1].role != c.role]
    assert roles == ["user", "model", "user", "model"]
    assert "".join(p.text for c in history[3:] for p in c.parts) == "echo: second turn here"


def test_unknown_model_is_404(client):
    with pytest.raises(errors.ClientError) as info:
        client.models.generate_content(model="gemini-does-not-exist", contents="x")
    assert info.value.code == 404


def test_bad_key_is_rejected(gw):
    c = genai.Client(api_key="not-a-valid-key", http_options=types.HttpOptions(base_url=gw.url, api_version="v1beta"))
    with pytest.raises(errors.ClientError) as info:
        c.models.generate_content(model="gemini-2.5-flash", contents="x")
    assert info.value.code in (401, 403)


@pytest.mark.parametrize("directive", ["SLOW 2.5", "STALL-AFTER 1 2.5"])
def test_stream_survives_keepalives(client, directive):
    """Silences are filled with keepalives (the session gateway sends one a second) that the SDK must skip:
    before the first chunk and between chunks."""
    text = f"one two three four\n{directive}"
    chunks = list(client.models.generate_content_stream(model="gemini-2.5-flash", contents=text))
    assert "".join(c.text or "" for c in chunks) == f"echo: {text}"

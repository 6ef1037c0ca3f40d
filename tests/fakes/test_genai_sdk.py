"""The official google-genai SDK talks to the fake as it would to Google."""

from __future__ import annotations

import pytest

genai = pytest.importorskip("google.genai")
from google.genai import errors, types  # noqa: E402

from gemgate.testing import DEFAULT_MODELS  # noqa: E402

VERSIONS = ["v1", "v1beta"]


def client(url: str, version: str, key: str = "sdk-key") -> "genai.Client":
    return genai.Client(api_key=key, http_options=types.HttpOptions(base_url=url, api_version=version))


@pytest.mark.parametrize("version", VERSIONS)
def test_generate_content(fake_url, version):
    fake, url = fake_url
    sdk = client(url, version)  # keep a reference: a collected Client closes its HTTP session
    response = sdk.models.generate_content(model="gemini-2.5-flash", contents="hello from the sdk")
    assert response.text == "echo: hello from the sdk"
    assert response.usage_metadata.prompt_token_count == 4
    assert response.candidates[0].finish_reason == types.FinishReason.STOP
    record = fake.requests[-1]
    assert record.path == f"/{version}/models/gemini-2.5-flash:generateContent"
    assert record.key_source == "header" and record.headers["x-goog-api-client"].startswith("google-genai-sdk/")


@pytest.mark.parametrize("version", VERSIONS)
def test_generate_content_stream(fake_url, version):
    fake, url = fake_url
    sdk = client(url, version)
    chunks = list(sdk.models.generate_content_stream(
        model="gemini-3-flash-preview", contents="stream these five words"))
    assert len(chunks) >= 3
    assert "".join(c.text or "" for c in chunks) == "echo: stream these five words"
    assert chunks[-1].candidates[0].finish_reason == types.FinishReason.STOP
    assert fake.requests[-1].query == {"alt": "sse"}


def test_thinking_with_the_sdks_snake_case_fields(fake_url):
    config = types.GenerateContentConfig(thinking_config=types.ThinkingConfig(include_thoughts=True,
                                                                              thinking_budget=256))
    sdk = client(fake_url[1], "v1beta")
    response = sdk.models.generate_content(
        model="gemini-2.5-pro", contents="think about it", config=config)
    parts = response.candidates[0].content.parts
    assert parts[0].thought is True
    assert parts[1].text == "echo: think about it" and parts[1].thought_signature
    assert response.usage_metadata.thoughts_token_count > 0


def test_function_call_round_trip_with_signature_on_gemini3(fake_url):
    fake, url = fake_url
    sdk = client(url, "v1beta")
    tool = types.Tool(function_declarations=[types.FunctionDeclaration(
        name="get_weather", description="weather", parameters_json_schema={
            "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]})])
    config = types.GenerateContentConfig(
        tools=[tool], automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True))
    history = [types.Content(role="user", parts=[types.Part(text='CALL get_weather {"city": "Lima"}')])]
    first = sdk.models.generate_content(model="gemini-3-pro-preview", contents=history, config=config)
    call_part = first.candidates[0].content.parts[0]
    assert call_part.function_call.name == "get_weather" and call_part.function_call.args == {"city": "Lima"}
    assert isinstance(call_part.thought_signature, bytes) and call_part.thought_signature
    history += [first.candidates[0].content, types.Content(role="user", parts=[
        types.Part.from_function_response(name="get_weather", response={"output": "sunny"})])]
    second = sdk.models.generate_content(model="gemini-3-pro-preview", contents=history, config=config)
    assert second.text == "tool result: sunny"
    # The SDK sent our signature back, base64 encoded, and the fake recognised it.
    sent = fake.requests[-1].body["contents"][1]["parts"][0]
    assert fake.signer.is_issued(sent["thoughtSignature"])


def test_count_tokens(fake_url):
    sdk = client(fake_url[1], "v1beta")
    result = sdk.models.count_tokens(model="gemini-2.5-flash", contents="count these four words")
    assert result.total_tokens == 4


@pytest.mark.parametrize("version", VERSIONS)
def test_models_list_pages_through_everything(fake_url, version):
    fake, url = fake_url
    before = len(fake.requests)
    sdk = client(url, version)
    names = [m.name for m in sdk.models.list(config={"page_size": 3})]
    assert names == [f"models/{m.id}" for m in DEFAULT_MODELS]
    pages = [r for r in fake.requests[before:] if r.action == "list"]
    assert len(pages) == 3 and all(r.api_version == version for r in pages)
    assert "pageToken" not in pages[0].query and pages[1].query["pageToken"]


def test_models_get(fake_url):
    sdk = client(fake_url[1], "v1beta")
    model = sdk.models.get(model="gemini-2.5-pro")
    assert model.name == "models/gemini-2.5-pro" and model.output_token_limit == 65536
    assert "generateContent" in model.supported_actions


@pytest.mark.parametrize("version", VERSIONS)
def test_embed_content(fake_url, version):
    fake, url = fake_url
    sdk = client(url, version)
    result = sdk.models.embed_content(model="gemini-embedding-001", contents=["one", "two"])
    assert [len(e.values) for e in result.embeddings] == [768, 768]
    assert result.embeddings[0].values != result.embeddings[1].values
    assert fake.requests[-1].action == "batchEmbedContents"
    sized = sdk.models.embed_content(
        model="gemini-embedding-001", contents="one", config=types.EmbedContentConfig(output_dimensionality=16))
    assert sized.embeddings[0].values == result.embeddings[0].values[:16]


def test_sdk_raises_googles_errors(fake_url):
    sdk = client(fake_url[1], "v1beta")
    with pytest.raises(errors.ClientError) as quota:
        sdk.models.generate_content(model="gemini-2.5-flash", contents="FAIL 429 0.1")
    assert quota.value.code == 429 and quota.value.status == "RESOURCE_EXHAUSTED"
    with pytest.raises(errors.ServerError) as unavailable:
        sdk.models.generate_content(model="gemini-2.5-flash", contents="FAIL 503")
    assert unavailable.value.code == 503
    with pytest.raises(errors.ClientError) as missing:
        list(sdk.models.generate_content_stream(model="gemini-0-nope", contents="hi"))
    assert missing.value.code == 404 and "is not found for API version v1beta" in missing.value.message

"""Chat Completions edges found in review: malformed tool lists and extra_body are 400s, a blocked prompt
ends the same way streamed and whole, and image/TTS models get no thinking config."""

from __future__ import annotations

import pytest

from gemgate.dialects.base import ParseInput, RenderContext
from gemgate.dialects.openai.chat_request import parse_chat
from gemgate.errors import GatewayError
from gemgate.gemini.signatures import SignatureStore
from gemgate.gemini.thinking import family

MSG = [{"role": "user", "content": "hi"}]


@pytest.mark.parametrize(
    "extra, param",
    [
        ({"tools": 5}, "tools"),
        ({"functions": "f"}, "functions"),
        ({"tools": [{"type": "function", "function": {"name": 3}}]}, "tools[0].function.name"),
        ({"extra_body": "x"}, "extra_body"),
        ({"extra_body": {"google": 1}}, "extra_body.google"),
    ],
)
def test_malformed_fields_are_400s_naming_the_field(extra, param):
    with pytest.raises(GatewayError) as exc:
        parse_chat(ParseInput({"model": "m", "messages": MSG, **extra}, {}, {}, {}))
    assert exc.value.status == 400 and exc.value.param == param


async def test_a_blocked_prompt_ends_alike_streamed_and_whole():
    reply = parse_chat(ParseInput({"model": "m", "messages": MSG}, {}, {}, {})).reply
    ctx = RenderContext(SignatureStore(None), thoughts_in_content=False)
    blocked = {"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"}, "usageMetadata": {"promptTokenCount": 2}}

    async def nothing():
        return
        yield

    whole = await reply.whole(blocked, ctx)
    frames = [f async for f in reply.stream(blocked, nothing(), ctx)]
    assert whole["choices"][0]["finish_reason"] == "content_filter"
    assert b'"finish_reason":"content_filter"' in frames[-2] and frames[-1] == b"data: [DONE]\n\n"


@pytest.mark.parametrize("model", ["gemini-2.5-flash-image", "gemini-2.5-flash-preview-tts", "gemini-2.5-pro-preview-tts"])
def test_image_and_tts_models_do_not_think(model):
    assert family(model) is None

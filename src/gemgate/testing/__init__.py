"""Fakes of Google's upstreams for tests. Shares no code with the rest of gemgate on purpose:
a fake built from the code it tests cannot catch that code's bugs."""

from gemgate.testing.code_assist_accounts import CodeAssistAccount
from gemgate.testing.code_assist_catalog import ANTIGRAVITY_MODELS, GEMINI_CLI_MODELS, CaModel
from gemgate.testing.fake_code_assist import FakeCodeAssist
from gemgate.testing.fake_gemini_api import FakeGeminiAPI, RecordedRequest
from gemgate.testing.fake_gemini_web import FakeGeminiWeb
from gemgate.testing.web_accounts import WebAccount
from gemgate.testing.fake_oauth import ANTIGRAVITY, GEMINI_CLI, AccessToken, FakeGoogleOAuth, OAuthClient
from gemgate.testing.fake_model import (
    Chunk,
    Reply,
    Usage,
    count_prompt_tokens,
    count_words,
    last_user_text,
    plan_reply,
)
from gemgate.testing.fake_server import FakeServer
from gemgate.testing.http_record import Exchange
from gemgate.testing.gemini_catalog import DEFAULT_MODELS, ModelInfo
from gemgate.testing.gemini_errors import GoogleApiError
from gemgate.testing.gemini_response import single_response, stream_chunks
from gemgate.testing.thought_signatures import SKIP_SIGNATURE_SENTINEL, ThoughtSigner

__all__ = [
    "ANTIGRAVITY_MODELS",
    "GEMINI_CLI_MODELS",
    "CaModel",
    "CodeAssistAccount",
    "FakeCodeAssist",
    "ANTIGRAVITY",
    "GEMINI_CLI",
    "AccessToken",
    "FakeGoogleOAuth",
    "OAuthClient",
    "Exchange",
    "DEFAULT_MODELS",
    "SKIP_SIGNATURE_SENTINEL",
    "Chunk",
    "FakeGeminiAPI",
    "FakeGeminiWeb",
    "WebAccount",
    "FakeServer",
    "GoogleApiError",
    "ModelInfo",
    "RecordedRequest",
    "Reply",
    "ThoughtSigner",
    "Usage",
    "count_prompt_tokens",
    "count_words",
    "last_user_text",
    "plan_reply",
    "single_response",
    "stream_chunks",
]

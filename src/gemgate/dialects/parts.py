"""Pieces of a Gemini request that several dialects build alike: inline media, replayed tool results, turns.

Shared by the OpenAI chat and Anthropic Messages parsers so each rule has one home: base64 checks, media by
URL left for the pipeline to fetch (`MediaRef`), the nesting bound on JSON carried in strings, and how a tool
result's text becomes a Gemini `functionResponse.response`.
"""

from __future__ import annotations

import base64
import binascii
import secrets

import orjson

from ..config import Limits
from ..errors import bad_request
from ..gemini.param_ranges import TEMPERATURE, TOP_P
from ..http.body import too_deep
from ..http.media import decode_data_url
from .base import MediaRef
from .validate import INT32_MAX, expect, integer, number


def new_id(prefix: str) -> str:
    """`prefix` and 24 random alphanumeric characters, e.g. "chatcmpl-…", "call_…", "toolu_…"."""
    return prefix + secrets.token_urlsafe(18).replace("-", "").replace("_", "")[:24]


def base64_data(value: object, param: str) -> str:
    """`value` if it is a string of valid base64; else GatewayError 400 naming `param`."""
    value = expect(value, str, param)
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise bad_request(f"'{param}' must be base64-encoded data", param) from None
    return value


def media_part(url: str, param: str, media: list[MediaRef]) -> dict:
    """An inlineData part: decoded now for data: URLs, left as a MediaRef in `media` for http(s) ones (the
    pipeline fetches them behind the SSRF guard). Raises GatewayError 400 for a malformed data: URL."""
    if url.startswith("data:"):
        mime, data = decode_data_url(url, param)
        return {"inlineData": {"mimeType": mime, "data": data}}
    part: dict = {}
    media.append(MediaRef(part, url, param))
    return part


def shallow(value: object, param: str, limits: Limits) -> None:
    """A 400 naming `param` when JSON carried in a string nests deeper than limits.json_depth."""
    if too_deep(value, limits.json_depth):
        raise bad_request(f"'{param}' nests JSON objects and arrays deeper than {limits.json_depth} levels", param)


def tool_response(text: str, param: str, limits: Limits) -> dict:
    """A Gemini `functionResponse.response` for a tool result's text: a JSON object as it is, anything else
    as `{"result": text}` (Gemini takes an object, ai.google.dev/api/caching#FunctionResponse)."""
    try:
        parsed = orjson.loads(text) if text.startswith("{") else None
    except orjson.JSONDecodeError:
        parsed = None
    shallow(parsed, param, limits)
    return parsed if isinstance(parsed, dict) else {"result": text}


def append_turn(contents: list[dict], role: str, parts: list[dict]) -> None:
    """Add `parts` as a `role` turn; consecutive messages of one role become one turn (Gemini wants turns to
    alternate)."""
    if contents and contents[-1]["role"] == role:
        contents[-1]["parts"].extend(parts)
    else:
        contents.append({"role": role, "parts": parts})


def sampling_config(body: dict) -> dict:
    """Gemini's temperature, topP and topK from the fields of those names that OpenAI and Anthropic share,
    within Google's ranges (`gemini.param_ranges`; topK is an int32); a 400 naming the field otherwise."""
    config: dict = {}
    if body.get("temperature") is not None:
        config["temperature"] = number(body["temperature"], "temperature", *TEMPERATURE.bounds)
    if body.get("top_p") is not None:
        config["topP"] = number(body["top_p"], "top_p", *TOP_P.bounds)
    if body.get("top_k") is not None:
        config["topK"] = integer(body["top_k"], "top_k", 1, INT32_MAX)
    return config


def gemini_request(contents: list, system: list, tools: list | None, tool_config: dict | None, config: dict) -> dict:
    """A Gemini GenerateContentRequest from its pieces, leaving out the empty ones (Google refuses an empty
    systemInstruction or toolConfig)."""
    request: dict = {"contents": contents}
    if system:
        request["systemInstruction"] = {"parts": system}
    if tools:
        request["tools"] = tools
    if tool_config:
        request["toolConfig"] = tool_config
    if config:
        request["generationConfig"] = config
    return request

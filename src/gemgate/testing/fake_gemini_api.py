"""A faithful fake of the Gemini API (generativelanguage.googleapis.com v1beta and v1).

Answers come from the shared fake model; auth, validation, framing and errors
copy Google's. Everything received is kept in `requests` for assertions.
"""

from __future__ import annotations

import asyncio
import base64
import re
import time
from collections import Counter, OrderedDict
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from aiohttp import web

from gemgate.testing.fake_embedding import embed_text
from gemgate.testing.fake_model import (
    Fault,
    Reply,
    count_prompt_tokens,
    failure_reply,
    last_user_text,
    plan_reply,
    slow_seconds,
)
from gemgate.testing.fake_server import FakeServer, catch_all_app
from gemgate.testing.gemini_catalog import DEFAULT_MODELS, ModelInfo, model_info
from gemgate.testing.gemini_errors import (
    GoogleApiError,
    access_token_type_unsupported,
    api_key_invalid,
    api_key_revoked,
    bad_request,
    consumer_suspended,
    injected_failure,
    model_not_found,
    quota_exhausted,
    unregistered_caller,
)
from gemgate.testing.gemini_fields import parse_json_body, parse_request
from gemgate.testing.gemini_response import partial_response, single_response, stream_chunks
from gemgate.testing.gemini_validation import empty_embed_content, validate_generate_request
from gemgate.testing.gemini_wire import (
    JSON_CONTENT_TYPE,
    SSE_CONTENT_TYPE,
    google_headers,
    json_array_pieces,
    pretty_json,
    sse_event,
)
from gemgate.testing.stream_writer import ConnectionReset, reset_connection, write_pieces, write_with_fault
from gemgate.testing.thought_signatures import ThoughtSigner

API_VERSIONS = ("v1", "v1beta")
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
# Google's answer to a batchEmbedContents with more than 100 requests, as users quote it
# (langchain-ai/langchainjs#4491, weaviate/weaviate#11277; vercel/ai#16575 caps Google batches at 100 for it).
MAX_BATCH_EMBED_REQUESTS = 100
TOO_MANY_BATCH_REQUESTS = "* BatchEmbedContentsRequest.requests: at most 100 requests can be in one batch\n"
# gemini-embedding-001 gives at most 3072 values (ai.google.dev/gemini-api/docs/embeddings); the wording of
# Google's refusal is not captured, this one is the fake's own.
MAX_EMBEDDING_DIMENSIONS = 3072
_ROUTE_RE = re.compile(r"^/(v1|v1beta)/models(?:/([^/:]+)(?::([A-Za-z]+))?)?/?$")
_ACTIONS_BY_METHOD = {
    "GET": ("list", "get"),
    "POST": ("generateContent", "streamGenerateContent", "countTokens", "embedContent", "batchEmbedContents"),
}
_NOT_FOUND_HTML = (
    "<!DOCTYPE html>\n<html lang=en>\n  <meta charset=utf-8>\n  <title>Error 404 (Not Found)!!1</title>\n"
    "  <p><b>404.</b> <ins>That\u2019s an error.</ins>\n  <p>The requested URL <code>{path}</code> was not "
    "found on this server.  <ins>That\u2019s all we know.</ins>\n"
)


@dataclass
class RecordedRequest:
    """One request as the fake received it. `body` is the parsed JSON (None if unparsable)."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    api_key: str | None
    key_source: str | None  # "header" (x-goog-api-key), "query" (?key=) or "bearer"
    body: Any
    api_version: str | None = None
    model: str | None = None
    action: str | None = None  # generateContent, ..., "list" or "get"
    status: int | None = None  # HTTP status the fake answered
    # time.monotonic() when the caller hung up before the answer was complete (the handler was cancelled)
    cancelled_at: float | None = None


class FakeGeminiAPI(FakeServer):
    def __init__(
        self,
        *,
        api_keys: Iterable[str] | None = None,
        revoked_keys: Iterable[str] = (),
        suspended_keys: Iterable[str] = (),
        key_models: Mapping[str, Iterable[str]] | None = None,
        models: Iterable[ModelInfo | str | dict] | None = None,
        quota_exhausted_keys: Iterable[str] = (),
        signer: ThoughtSigner | None = None,
        chunk_interval: float = 0.0,
        fail_once_memory: int = 1024,
    ) -> None:
        """
        api_keys: accepted keys; None accepts any non-empty key.
        revoked_keys: answered 403 PERMISSION_DENIED.
        suspended_keys: answered 403 CONSUMER_SUSPENDED, a message that quotes the key.
        key_models: key -> the model ids it may see and use (others look nonexistent).
        models: catalogue (ids, ModelInfo or dicts); default `DEFAULT_MODELS`.
        quota_exhausted_keys: generation calls with these keys get 429 RESOURCE_EXHAUSTED.
        chunk_interval: seconds between streamed chunks.
        """
        super().__init__()
        self.api_keys = set(api_keys) if api_keys is not None else None
        self.revoked_keys = set(revoked_keys)
        self.suspended_keys = set(suspended_keys)
        self.key_models = {k: set(v) for k, v in (key_models or {}).items()}
        self.models = [model_info(m) for m in (models if models is not None else DEFAULT_MODELS)]
        self.quota_exhausted_keys = set(quota_exhausted_keys)
        self.signer = signer or ThoughtSigner(b"gemgate-fake-gemini-api")
        self.chunk_interval = chunk_interval
        self.requests: list[RecordedRequest] = []
        self.calls_by_key: Counter[str | None] = Counter()
        self._failed_once: OrderedDict[str, None] = OrderedDict()
        self._fail_once_memory = fail_once_memory

    def reset(self) -> None:
        self.requests.clear()
        self.calls_by_key.clear()
        self._failed_once.clear()

    def requests_for(self, *, action: str | None = None, key: str | None = None) -> list[RecordedRequest]:
        return [r for r in self.requests
                if (action is None or r.action == action) and (key is None or r.api_key == key)]

    def build_app(self) -> web.Application:
        """The aiohttp app: every path goes through one dispatcher."""
        return catch_all_app(self._dispatch)

    # -- dispatch ---------------------------------------------------------

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        started = time.monotonic()
        raw = await request.read()
        key, source = _api_key(request)
        record = RecordedRequest(request.method, request.path, dict(request.query), dict(request.headers),
                                 key, source, _loose_json(raw))
        self.requests.append(record)
        self.calls_by_key[key] += 1
        sse = request.query.get("alt") == "sse"
        match = _ROUTE_RE.match(request.path)
        try:
            if match is None:
                response = _html_not_found(request.path, started)
            else:
                version, model, action = match.groups()
                record.api_version, record.model = version, model
                record.action = action or ("get" if model else "list")
                response = await self._route(request, record, raw, started, sse)
        except GoogleApiError as err:
            response = _error_response(err, sse, started)
        except ConnectionReset:
            # RESET-AFTER: the socket is gone; aiohttp's attempt to answer fails quietly.
            if record.action == "generateContent":
                record.status = None
            raise asyncio.CancelledError() from None
        except asyncio.CancelledError:
            record.cancelled_at = time.monotonic()
            raise
        record.status = response.status
        return response

    async def _route(self, request: web.Request, record: RecordedRequest, raw: bytes, started: float,
                     sse: bool) -> web.StreamResponse:
        action = record.action or ""
        if action not in _ACTIONS_BY_METHOD.get(request.method, ()):
            return _html_not_found(request.path, started)
        if record.key_source == "bearer":
            raise access_token_type_unsupported(_rpc_name(record))
        self._authenticate(record.api_key)
        if action == "list":
            return _json_response(self._list_models(record), started)
        model = self._model(record, action)
        if action == "get":
            return _json_response(model.resource(), started)
        body = parse_json_body(raw)
        if action in ("generateContent", "streamGenerateContent"):
            return await self._generate(request, record, body, started, sse)
        if action == "countTokens":
            counted = self._count_tokens(body)
            await asyncio.sleep(slow_seconds(self._count_target(body)))
            return _json_response(counted, started)
        if action == "embedContent":
            return _json_response(self._embed(body, record), started)
        return _json_response(self._batch_embed(body, model.id, record), started)

    def _authenticate(self, key: str | None) -> None:
        if not key:
            raise unregistered_caller()
        if key in self.revoked_keys:
            raise api_key_revoked()
        if key in self.suspended_keys:
            raise consumer_suspended(key)
        if self.api_keys is not None and key not in self.api_keys:
            raise api_key_invalid()

    def _visible_models(self, key: str | None) -> list[ModelInfo]:
        allowed = self.key_models.get(key) if key is not None else None
        return [m for m in self.models if allowed is None or m.id in allowed]

    def _model(self, record: RecordedRequest, method: str) -> ModelInfo:
        found = next((m for m in self._visible_models(record.api_key) if m.id == record.model), None)
        if found is None or (method != "get" and not found.supports(method)):
            shown = "generateContent" if method == "streamGenerateContent" else method
            raise model_not_found(record.model or "", record.api_version or "v1beta", shown)
        return found

    # -- endpoints --------------------------------------------------------

    def _list_models(self, record: RecordedRequest) -> dict[str, Any]:
        query = record.query
        size_text = query.get("pageSize", query.get("page_size", ""))
        token = query.get("pageToken", query.get("page_token", ""))
        try:
            size = int(size_text) if size_text else DEFAULT_PAGE_SIZE
        except ValueError:
            raise bad_request(f"Invalid value at 'page_size' (TYPE_INT32), \"{size_text}\"") from None
        size = DEFAULT_PAGE_SIZE if size <= 0 else min(size, MAX_PAGE_SIZE)
        offset = _decode_page_token(token)
        models = self._visible_models(record.api_key)
        body: dict[str, Any] = {"models": [m.resource() for m in models[offset: offset + size]]}
        if offset + size < len(models):
            # Omitted on the last page: an empty token makes @google/genai loop forever.
            body["nextPageToken"] = _encode_page_token(offset + size)
        return body

    async def _generate(self, request: web.Request, record: RecordedRequest, body: Any, started: float,
                        sse: bool) -> web.StreamResponse:
        req = parse_request(body, "GenerateContentRequest")
        model = record.model or ""
        if record.api_key in self.quota_exhausted_keys:
            raise quota_exhausted(model, 1.0)
        info = next((m for m in self.models if m.id == model), None)
        validate_generate_request(req, model, self.signer, output_token_limit=info.output_token_limit if info else None)
        prompt = last_user_text(req)
        reply = plan_reply(req, model, first_attempt=prompt not in self._failed_once, signer=self.signer)
        if reply.fail_once:
            self._remember_failure(prompt)
        else:
            self._failed_once.pop(prompt, None)  # so the next identical prompt fails once again
        if reply.is_error:
            raise injected_failure(reply.status or 500, model, reply.retry_delay, reply.error_form, _rpc_name(record))
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if record.action == "generateContent":
            if reply.fault is not None:
                return await self._whole_with_fault(request, record, reply, model, started)
            return _json_response(single_response(reply, model), started)
        chunks = stream_chunks(reply, model)
        # Record the status before the first byte: the client may read the log as soon as the body ends.
        record.status = 200
        if reply.fault is not None:
            return await self._write_with_fault(request, chunks, reply.fault, model, started, sse)
        if sse:
            return await self._write_sse(request, chunks, started)
        return await self._write_json_array(request, chunks, started)

    async def _whole_with_fault(self, request: web.Request, record: RecordedRequest, reply: Reply, model: str,
                                started: float) -> web.StreamResponse:
        """generateContent cannot fail half-way on the wire: an error, a reset, a partial body or a delay."""
        fault = reply.fault
        assert fault is not None
        if fault.kind == "FAIL":
            raise injected_failure(fault.status or 500, model, fault.retry_delay, fault.form, _rpc_name(record))
        if fault.kind == "RESET":
            await reset_connection(request)
            raise ConnectionReset()
        if fault.kind == "CUT":
            return _json_response(partial_response(reply, model, fault.after), started)
        await asyncio.sleep(fault.seconds)
        return _json_response(single_response(reply, model), started)

    async def _write_with_fault(self, request: web.Request, chunks: list[dict], fault: Fault, model: str,
                                started: float, sse: bool) -> web.StreamResponse:
        """Stream `fault.after` chunks, then fail as the directive says (see fake_model)."""
        content_type = SSE_CONTENT_TYPE if sse else JSON_CONTENT_TYPE
        headers = {**google_headers(started), "Content-Type": content_type, "Content-Disposition": "attachment"}
        error = injected_failure(fault.status or 500, model, fault.retry_delay, fault.form).body() \
            if fault.kind == "FAIL" else {}
        return await write_with_fault(request, headers, chunks, fault, error, sse, self.chunk_interval)

    @staticmethod
    def _count_target(body: Any) -> dict[str, Any]:
        req = parse_request(body, "CountTokensRequest")
        return req.get("generateContentRequest") or {"contents": req.get("contents") or []}

    def _count_tokens(self, body: Any) -> dict[str, Any]:
        total = count_prompt_tokens(self._count_target(body))
        return {"totalTokens": total, "promptTokensDetails": [{"modality": "TEXT", "tokenCount": total}]}

    def _embed(self, body: Any, record: RecordedRequest) -> dict[str, Any]:
        req = parse_request(body, "EmbedContentRequest")
        if (empty := empty_embed_content(req, "EmbedContentRequest")) is not None:
            raise GoogleApiError(400, empty)
        self._embed_failure([_content_text(req)], record)
        return {"embedding": {"values": embed_text(_content_text(req), _dimensions(req, "EmbedContentRequest"))}}

    def _embed_failure(self, texts: list[str], record: RecordedRequest) -> None:
        """Raise the error a FAIL/FAIL-ONCE line in one of `texts` asks for (fake_model: the first one wins)."""
        for text in texts:
            reply = failure_reply(text, first_attempt=text not in self._failed_once)
            if reply is None:
                self._failed_once.pop(text, None)  # so the next identical text fails once again
                continue
            if reply.fail_once:
                self._remember_failure(text)
            raise injected_failure(reply.status or 500, record.model or "", reply.retry_delay, reply.error_form,
                                   _rpc_name(record))

    def _batch_embed(self, body: Any, model: str, record: RecordedRequest) -> dict[str, Any]:
        req = parse_request(body, "BatchEmbedContentsRequest")
        requests = req.get("requests") or []
        if len(requests) > MAX_BATCH_EMBED_REQUESTS:
            raise GoogleApiError(400, TOO_MANY_BATCH_REQUESTS)
        problems = [
            f"* BatchEmbedContentsRequest.requests[{i}].model: model must be models/{model} "
            f"as in the request URL, got \"{r.get('model', '')}\".\n"
            for i, r in enumerate(requests) if r.get("model") != f"models/{model}"
        ]
        problems += [p for i, r in enumerate(requests)
                     if (p := empty_embed_content(r, f"BatchEmbedContentsRequest.requests[{i}]")) is not None]
        if problems:
            raise GoogleApiError(400, "".join(problems))
        sizes = [_dimensions(r, f"BatchEmbedContentsRequest.requests[{i}]") for i, r in enumerate(requests)]
        self._embed_failure([_content_text(r) for r in requests], record)
        return {"embeddings": [{"values": embed_text(_content_text(r), size)} for r, size in zip(requests, sizes)]}

    # -- streaming --------------------------------------------------------

    async def _write_sse(self, request: web.Request, chunks: list[dict], started: float) -> web.StreamResponse:
        headers = {**google_headers(started), "Content-Type": SSE_CONTENT_TYPE, "Content-Disposition": "attachment"}
        if not chunks:
            return web.Response(body=b"", headers=headers)  # as captured: 200, Content-Length 0
        return await self._write_pieces(request, headers, [sse_event(c) for c in chunks])

    async def _write_json_array(self, request: web.Request, chunks: list[dict], started: float) -> web.StreamResponse:
        headers = {**google_headers(started), "Content-Type": JSON_CONTENT_TYPE, "Content-Disposition": "attachment"}
        return await self._write_pieces(request, headers, json_array_pieces(chunks))

    async def _write_pieces(self, request: web.Request, headers: dict, pieces: list[bytes]) -> web.StreamResponse:
        return await write_pieces(request, headers, pieces, interval=self.chunk_interval)

    def _remember_failure(self, prompt: str) -> None:
        self._failed_once[prompt] = None
        while len(self._failed_once) > self._fail_once_memory:
            self._failed_once.popitem(last=False)


def _api_key(request: web.Request) -> tuple[str | None, str | None]:
    header = request.headers.get("x-goog-api-key", "").strip()
    if header:
        return header, "header"
    query = request.query.get("key", "").strip()
    if query:
        return query, "query"
    auth = request.headers.get("Authorization", "")
    if auth[:7].lower() == "bearer " and auth[7:].strip():
        return auth[7:].strip(), "bearer"
    return None, None


_RPC_NAMES = {
    "generateContent": "GenerativeService.GenerateContent",
    "streamGenerateContent": "GenerativeService.StreamGenerateContent",
    "countTokens": "GenerativeService.CountTokens",
    "embedContent": "GenerativeService.EmbedContent",
    "batchEmbedContents": "GenerativeService.BatchEmbedContents",
    "list": "ModelService.ListModels",
    "get": "ModelService.GetModel",
}


def _rpc_name(record: RecordedRequest) -> str:
    """The RPC Google names in ErrorInfo metadata, e.g. google.ai.generativelanguage.v1beta.GenerativeService.GenerateContent."""
    return f"google.ai.generativelanguage.{record.api_version}.{_RPC_NAMES[record.action or 'get']}"


def _content_text(embed_request: Mapping[str, Any]) -> str:
    parts = (embed_request.get("content") or {}).get("parts") or []
    return " ".join(p["text"] for p in parts if isinstance(p.get("text"), str))


def _encode_page_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"models-offset:{offset}".encode()).decode().rstrip("=")


def _decode_page_token(token: str) -> int:
    if not token:
        return 0
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        prefix, _, number = text.partition(":")
        if prefix == "models-offset" and number.isdigit():
            return int(number)
    except ValueError:
        pass
    raise bad_request("Invalid page token.")


def _loose_json(raw: bytes) -> Any:
    try:
        return parse_json_body(raw)
    except GoogleApiError:
        return None


def _json_response(value: Any, started: float, status: int = 200) -> web.Response:
    headers = {**google_headers(started), "Content-Type": JSON_CONTENT_TYPE}
    return web.Response(status=status, body=(pretty_json(value) + "\n").encode("utf-8"), headers=headers)


def _error_response(err: GoogleApiError, sse: bool, started: float) -> web.Response:
    # The captured 404 for an alt=sse call is a plain JSON body labelled text/event-stream.
    headers = {**google_headers(started), "Content-Type": SSE_CONTENT_TYPE if sse else JSON_CONTENT_TYPE}
    return web.Response(status=err.code, body=(pretty_json(err.body()) + "\n").encode("utf-8"), headers=headers)


def _html_not_found(path: str, started: float) -> web.Response:
    headers = {**google_headers(started), "Content-Type": "text/html; charset=UTF-8"}
    return web.Response(status=404, body=_NOT_FOUND_HTML.format(path=path).encode("utf-8"), headers=headers)


def _dimensions(req: Mapping[str, Any], where: str) -> int | None:
    """outputDimensionality, refused (400) outside 1..MAX_EMBEDDING_DIMENSIONS as Google does."""
    size = req.get("outputDimensionality")
    if size is not None and not 1 <= size <= MAX_EMBEDDING_DIMENSIONS:
        raise GoogleApiError(400, f"* {where}.output_dimensionality: must be between 1 and {MAX_EMBEDDING_DIMENSIONS}\n")
    return size

"""The one deterministic fake model behind every fake upstream.

Input is a Gemini-shaped GenerateContentRequest already normalised to camelCase;
output is a transport-neutral `Reply`. No HTTP and no response envelope here:
the Gemini API, Code Assist and web-app fakes each wrap a Reply their own way.

Rules, read from the LAST user turn:

* plain text                 -> text ``echo: <text>`` in >= 3 chunks (when >= 3 words)
* ``CALL <name> <json args>`` -> functionCall part(s) when <name> is declared
* functionResponse parts     -> ``tool result: <text>`` (several joined by ``; ``)
* ``FAIL <status> [FORM] [secs]`` -> that upstream error on every attempt, in Google's body for it
                                (`gemini_errors.injected_failure`, each body with its source). Without FORM:
                                429 the free-tier quota body (QuotaFailure, Help, RetryInfo = secs, default
                                1s), 404 the model-not-found body of the js-genai recording, any other status
                                Google's canonical message and no details (403 "The caller does not have
                                permission", 401 "Request had invalid authentication credentials…": answers
                                that say no reason). FORMs: ``400 API_KEY_INVALID``, ``400 FAILED_PRECONDITION``
                                (free tier not in this country), ``401 ACCESS_TOKEN_EXPIRED``, ``401
                                ACCESS_TOKEN_TYPE_UNSUPPORTED``, ``403 API_KEY_SERVICE_BLOCKED``, ``403
                                SERVICE_DISABLED``, ``403 CONSUMER_SUSPENDED``, ``403 LEAKED`` (key reported as
                                leaked), ``403 PERMISSION_DENIED`` (a File the key cannot read), ``403
                                CACHED_CONTENT``, ``404 ENTITY`` ("Requested entity was not found.", nothing
                                named); another form is a 500 from the fake
* ``FAIL-ONCE <status> [FORM]`` -> the error only while ``first_attempt`` is true
* Embeddings: a ``FAIL`` or ``FAIL-ONCE`` line in any text of an embedContent or batchEmbedContents request
                                (`failure_reply`) fails the whole request with that error, as Google fails a
                                whole batch; the first such text wins. No other directive applies to embeddings.
* ``SLOW <seconds>``         -> that much silence before the first chunk (countTokens too)
* ``BIG <KiB>``               -> a text answer's first chunk carries that many KiB more text (one word of
                                ``x``), so its event is that large: a large inline image makes events of
                                megabytes, and SSE has no size limit
* ``EMPTY``                  -> a stream with no chunks at all
* ``MALFORMED[-ONCE]``       -> finishReason MALFORMED_FUNCTION_CALL and no content (as Gemini 3.x
                                sometimes answers), on every or only the first attempt; with
                                includeThoughts the thought chunk comes first, as in the gemini-cli capture
                                context-compress-interactive.compress.responses
* ``BLOCK [reason]``          -> the prompt is blocked: one chunk with ``promptFeedback.blockReason`` (default
                                SAFETY; SAFETY, OTHER, BLOCKLIST, PROHIBITED_CONTENT, IMAGE_SAFETY per
                                ai.google.dev/api/generate-content#BlockReason), usageMetadata with the prompt
                                tokens only, and no candidates; generateContent answers the same object
* ``CITE <uri>``              -> the last chunk's candidate carries ``citationMetadata.citationSources``
                                [{startIndex, endIndex, uri}] over the answer (ai.google.dev/api/
                                generate-content#CitationMetadata; proto3 JSON omits a zero startIndex)
* a ``googleSearch`` tool     -> a text answer's last chunk carries ``groundingMetadata`` (searchEntryPoint,
                                groundingChunks[].web {uri, title}, groundingSupports [{segment, indices,
                                confidenceScores}], webSearchQueries), shaped as the response example of
                                ai.google.dev/gemini-api/docs/google-search; generateContent has it too
* JSON mode, maxOutputTokens, stopSequences, candidateCount and thinking are
  honoured as documented on `plan_reply`.
* ``responseLogprobs`` (with ``logprobs`` = k top candidates) -> every candidate of a chunk with answer text
                                carries ``logprobsResult`` for that chunk's tokens (``chosenCandidates``
                                [{token, tokenId, logProbability}], ``topCandidates`` [{candidates: k of
                                them, the chosen token first}], ``logProbabilitySum``) and ``avgLogprobs``;
                                generateContent carries them for all tokens (ai.google.dev/api/
                                generate-content#LogprobsResult). Tokens are the words with their spacing.

Faults after the first byte (the HTTP 200 is already sent), for every path after it.
``n`` counts streamed chunks (0 allowed); they work with text and ``CALL`` replies alike:

* ``FAIL-AFTER <n> <status> [FORM] [secs]`` -> n chunks, then one in-stream error event in google.rpc.Status
                                shape, ``{"error": {"code", "message", "status"[, "details"]}}``, the same body
                                the HTTP error of ``FAIL <status> [FORM]`` carries (a 429 has QuotaFailure, Help and
                                RetryInfo ``retryDelay`` = secs, default 1s), then the stream ends normally.
                                SSE: ``data: {"error": ...}\\r\\n\\r\\n``; JSON-array stream: the error
                                object is the next element and the array is closed. generateContent: the
                                plain HTTP error ``<status>`` (nothing partial was sent).
* ``RESET-AFTER <n>``         -> n chunks, then (after a 0.1s grace so the peer has read them) the TCP
                                connection is reset (SO_LINGER 0 + transport abort): no closing chunk, no
                                ``]``, no terminating zero-length HTTP chunk.
                                generateContent: the connection is reset without any response.
* ``CUT-AFTER <n>``           -> n chunks, then the HTTP response ends normally (SSE: nothing more;
                                JSON array: ``]``) but the closing chunk with finishReason never comes.
                                generateContent: the n chunks merged into one response without
                                finishReason or finishMessage (usage counts the tokens sent).
* ``STALL-AFTER <n> <secs>``  -> n chunks, silence for secs, then the rest of the stream as usual.
                                generateContent: silence for secs, then the whole response.

With any of these the finish travels in a closing chunk of its own: when the last chunk would carry
content and finishReason together (Gemini 2.5 text and calls), it is split into the content chunk and
a ``[{"text": ""}]`` chunk with finishReason (the shape Gemini 3 streams anyway). So n counts content
chunks (thought chunks included), and an n larger than their number c is capped at c: the fault comes
after the last content chunk, before the finishing chunk (which is therefore never sent, except after
a STALL). EMPTY and MALFORMED replies have c = 0. The first fault line wins; ``FAIL``/``FAIL-ONCE``
(an error before the first byte) win over all of them; a tool-result turn (functionResponse parts)
has no directives.

Tokens are whitespace-separated words, so every count is predictable.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field, replace
from typing import Any, Mapping

from gemgate.testing.model_traits import is_gemini3, thinking_active
from gemgate.testing.schema_instance import minimal_instance
from gemgate.testing.thought_signatures import ThoughtSigner

FUNCTION_CALL_FINISH_MESSAGE = "Model generated function call(s)."
DEFAULT_RETRY_DELAY = 1.0

_FORM = r"(?:[ \t]+([A-Z][A-Z_]*))?"  # FAIL's optional body form, e.g. API_KEY_SERVICE_BLOCKED
_FAIL_RE = re.compile(r"^[ \t]*FAIL(-ONCE)?[ \t]+(\d{3})" + _FORM + r"(?:[ \t]+(\d+(?:\.\d+)?))?[ \t]*$", re.M)
_SLOW_RE = re.compile(r"^[ \t]*SLOW[ \t]+(\d+(?:\.\d+)?)[ \t]*$", re.M)
_EMPTY_RE = re.compile(r"^[ \t]*EMPTY[ \t]*$", re.M)
_MALFORMED_RE = re.compile(r"^[ \t]*MALFORMED(-ONCE)?[ \t]*$", re.M)
_FAIL_AFTER_RE = re.compile(
    r"^[ \t]*FAIL-AFTER[ \t]+(\d+)[ \t]+(\d{3})" + _FORM + r"(?:[ \t]+(\d+(?:\.\d+)?))?[ \t]*$", re.M
)
_RESET_CUT_AFTER_RE = re.compile(r"^[ \t]*(RESET|CUT)-AFTER[ \t]+(\d+)[ \t]*$", re.M)
_STALL_AFTER_RE = re.compile(r"^[ \t]*STALL-AFTER[ \t]+(\d+)[ \t]+(\d+(?:\.\d+)?)[ \t]*$", re.M)
_BLOCK_RE = re.compile(r"^[ \t]*BLOCK(?:[ \t]+([A-Z_]+))?[ \t]*$", re.M)
_BIG_RE = re.compile(r"^[ \t]*BIG[ \t]+(\d+)[ \t]*$", re.M)
_CITE_RE = re.compile(r"^[ \t]*CITE[ \t]+(\S+)[ \t]*$", re.M)
_CALL_RE = re.compile(r"^[ \t]*CALL[ \t]+(\S+)(?:[ \t]+(.*?))?[ \t]*$", re.M)
_PIECE_RE = re.compile(r"\s*\S+\s*")
_DEFAULT_SIGNER = ThoughtSigner()


@dataclass(frozen=True)
class Chunk:
    """One streamed piece: the parts of one candidate plus an optional finish."""

    parts: list[dict[str, Any]]
    finish_reason: str | None = None
    finish_message: str | None = None
    fields: Mapping[str, Any] = field(default_factory=dict)  # more candidate fields: groundingMetadata, ...


@dataclass(frozen=True)
class Fault:
    """A failure after the first byte: FAIL, RESET, CUT or STALL after `after` streamed chunks.

    `after` is already capped at the number of content chunks, so the finishing chunk is never before it.
    """

    kind: str
    after: int
    status: int | None = None  # FAIL
    retry_delay: float | None = None  # FAIL 429
    seconds: float = 0.0  # STALL
    form: str | None = None  # FAIL's body form


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int = 0
    candidates_tokens: int = 0
    thoughts_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.candidates_tokens + self.thoughts_tokens


@dataclass
class Reply:
    """Either an error directive (`status` set) or chunks to stream after `delay`."""

    chunks: list[Chunk] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    candidate_count: int = 1
    delay: float = 0.0
    status: int | None = None
    retry_delay: float | None = None
    error_form: str | None = None  # which body of that status (FAIL <status> <FORM>)
    fail_once: bool = False  # the caller must remember the prompt to succeed next time
    finish_message: str | None = None  # shown on non-streamed responses only
    fault: Fault | None = None  # a failure after the first byte (FAIL-AFTER, RESET-AFTER, ...)
    logprobs: int | None = None  # responseLogprobs asked: how many top candidates per token (0 = none)
    block_reason: str | None = None  # the prompt was blocked (promptFeedback.blockReason), no candidates

    @property
    def is_error(self) -> bool:
        return self.status is not None


def count_words(text: str) -> int:
    return len(text.split())


def compact_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def part_tokens(part: Mapping[str, Any]) -> int:
    if isinstance(part.get("text"), str):
        return count_words(part["text"])
    for key in ("functionCall", "functionResponse"):
        if key in part:
            return count_words(compact_json(part[key]))
    return 0


def count_prompt_tokens(request: Mapping[str, Any]) -> int:
    contents = list(request.get("contents") or [])
    if isinstance(request.get("systemInstruction"), dict):
        contents.append(request["systemInstruction"])
    return sum(part_tokens(p) for c in contents for p in (c.get("parts") or []) if isinstance(p, dict))


def last_user_turn(request: Mapping[str, Any]) -> dict[str, Any]:
    for content in reversed(request.get("contents") or []):
        if isinstance(content, dict) and content.get("role", "user") == "user":
            return content
    return {}


def last_user_text(request: Mapping[str, Any]) -> str:
    parts = last_user_turn(request).get("parts") or []
    return "\n".join(p["text"] for p in parts if isinstance(p, dict) and isinstance(p.get("text"), str))


def slow_seconds(request: Mapping[str, Any]) -> float:
    """The silence a ``SLOW <seconds>`` line in the last user turn asks for (0 without one)."""
    slow = _SLOW_RE.search(last_user_text(request))
    return float(slow.group(1)) if slow else 0.0


def failure_reply(text: str, first_attempt: bool = True, usage: Usage | None = None) -> Reply | None:
    """The error Reply a ``FAIL``/``FAIL-ONCE`` line in `text` asks for (a generation's last user turn, or one
    embedding text); None without one, or for FAIL-ONCE when this is not the first attempt."""
    failure = _FAIL_RE.search(text)
    if not failure or (failure.group(1) is not None and not first_attempt):
        return None
    delay = float(failure.group(4)) if failure.group(4) else DEFAULT_RETRY_DELAY
    status = int(failure.group(2))
    return Reply(
        usage=usage or Usage(0),
        status=status,
        retry_delay=delay if status == 429 else None,
        error_form=failure.group(3),
        fail_once=failure.group(1) is not None,
    )


def plan_reply(
    request: Mapping[str, Any],
    model: str,
    *,
    first_attempt: bool = True,
    signer: ThoughtSigner | None = None,
) -> Reply:
    """Decide the answer to `request` on `model`.

    Thinking is active per `model_traits.thinking_active`; thought parts appear only
    with includeThoughts. Gemini 3 always signs (functionCall part, or a trailing
    empty-text part); 2.5 signs the first functionCall part when thinking, and the
    first answer part when thoughts are shown. JSON mode answers a minimal instance
    of responseJsonSchema/responseSchema, or ``{"echo": text}`` without a schema.
    """
    signer = signer or _DEFAULT_SIGNER
    gen = request.get("generationConfig") or {}
    prompt_tokens = count_prompt_tokens(request)
    text = last_user_text(request)
    responses = [p["functionResponse"] for p in last_user_turn(request).get("parts") or [] if "functionResponse" in p]

    failure = None if responses else failure_reply(text, first_attempt, Usage(prompt_tokens))
    if failure is not None:
        return failure

    blocked = None if responses else _BLOCK_RE.search(text)
    if blocked:
        return Reply(usage=Usage(prompt_tokens), block_reason=blocked.group(1) or "SAFETY")

    slow = None if responses else _SLOW_RE.search(text)
    delay = float(slow.group(1)) if slow else 0.0
    count = max(1, int(gen.get("candidateCount") or 1))
    if not responses and _EMPTY_RE.search(text):
        return _with_fault(Reply(usage=Usage(prompt_tokens), candidate_count=count, delay=delay), text)

    subject = _tool_result_text(responses) if responses else text
    active = thinking_active(model, gen.get("thinkingConfig"))
    show = active and bool((gen.get("thinkingConfig") or {}).get("includeThoughts"))
    thought = f"**Considering the request**\n\nThe user wrote: {' '.join(subject.split()[:8])}"
    thoughts_tokens = count_words(thought) if active else 0
    lead = [Chunk([{"text": thought, "thought": True}])] if show else []

    malformed = None if responses else _MALFORMED_RE.search(text)
    if malformed and (malformed.group(1) is None or first_attempt):
        return _with_fault(Reply(
            chunks=lead + [Chunk([], "MALFORMED_FUNCTION_CALL")],
            usage=Usage(prompt_tokens, 0, thoughts_tokens if show else 0),
            fail_once=malformed.group(1) is not None,
        ), text)

    calls = [] if responses else _function_calls(request, text)
    if calls:
        chunks = lead + _call_chunks(calls, model, active, signer)
        message = FUNCTION_CALL_FINISH_MESSAGE
    else:
        answer, finish = _answer_text(gen, subject, responses)
        chunks = lead + _text_chunks(answer, finish, model, show, signer)
        big = None if responses else _BIG_RE.search(text)
        if big:
            first = chunks[len(lead)]
            padded = {**first.parts[0], "text": first.parts[0]["text"] + " " + "x" * (int(big.group(1)) * 1024)}
            chunks[len(lead)] = replace(first, parts=[padded, *first.parts[1:]])
        message = None
        extra = _answer_fields(request, answer, subject, None if responses else text)
        if extra:
            chunks[-1] = replace(chunks[-1], fields=extra)
    candidates = sum(part_tokens(p) for c in chunks for p in c.parts if not p.get("thought"))
    reply = Reply(
        chunks=chunks,
        usage=Usage(prompt_tokens, candidates, thoughts_tokens),
        candidate_count=count,
        delay=delay,
        finish_message=message,
        logprobs=int(gen.get("logprobs") or 0) if gen.get("responseLogprobs") else None,
    )
    return reply if responses else _with_fault(reply, text)


def _with_fault(reply: Reply, text: str) -> Reply:
    """Attach the first fault directive in `text`, moving the finish into a closing chunk of its own."""
    found = [m for m in (r.search(text) for r in (_FAIL_AFTER_RE, _RESET_CUT_AFTER_RE, _STALL_AFTER_RE)) if m]
    if not found:
        return reply
    match = min(found, key=lambda m: m.start())
    chunks = _finish_apart(reply.chunks)
    content = len(chunks) - 1 if chunks and chunks[-1].finish_reason else len(chunks)
    if match.re is _FAIL_AFTER_RE:
        status = int(match.group(2))
        delay = float(match.group(4)) if match.group(4) else DEFAULT_RETRY_DELAY
        fault = Fault("FAIL", min(int(match.group(1)), content), status, delay if status == 429 else None,
                      form=match.group(3))
    elif match.re is _STALL_AFTER_RE:
        fault = Fault("STALL", min(int(match.group(1)), content), seconds=float(match.group(2)))
    else:
        fault = Fault(match.group(1), min(int(match.group(2)), content))
    return replace(reply, chunks=chunks, fault=fault)


def _has_content(part: Mapping[str, Any]) -> bool:
    return "functionCall" in part or bool(part.get("text"))


def _finish_apart(chunks: list[Chunk]) -> list[Chunk]:
    last = chunks[-1] if chunks else None
    if last is None or last.finish_reason is None or not any(_has_content(p) for p in last.parts):
        return list(chunks)
    closing = Chunk([{"text": ""}], last.finish_reason, last.finish_message, last.fields)
    return chunks[:-1] + [Chunk(last.parts), closing]


def _answer_fields(request: Mapping[str, Any], answer: str, subject: str, text: str | None) -> dict[str, Any]:
    """groundingMetadata when the googleSearch tool is on, citationMetadata for ``CITE <uri>`` lines."""
    fields: dict[str, Any] = {}
    size = len(answer.encode())
    cited = [m.group(1) for m in _CITE_RE.finditer(text or "")]
    if cited:
        fields["citationMetadata"] = {"citationSources": [{"endIndex": size, "uri": uri} for uri in cited]}
    if any(isinstance(t, dict) and "googleSearch" in t for t in request.get("tools") or ()):
        query = " ".join(subject.split()[:8])
        fields["groundingMetadata"] = {
            "searchEntryPoint": {"renderedContent": f"<div class=\"container\">{query}</div>"},
            "groundingChunks": [{"web": {"uri": "https://vertexaisearch.cloud.google.com/grounding-api-redirect/fake",
                                         "title": "example.com"}}],
            "groundingSupports": [{"segment": {"endIndex": size, "text": answer}, "groundingChunkIndices": [0],
                                   "confidenceScores": [0.9]}],
            "webSearchQueries": [query],
        }
    return fields


def _tool_result_text(responses: list[dict[str, Any]]) -> str:
    pieces = []
    for fr in responses:
        body = fr.get("response")
        found = None
        if isinstance(body, dict):
            found = next((body[k] for k in ("output", "result", "content") if isinstance(body.get(k), str)), None)
        pieces.append(found if found is not None else compact_json(body if body is not None else {}))
    return "tool result: " + "; ".join(pieces)


def _function_calls(request: Mapping[str, Any], text: str) -> list[dict[str, Any]]:
    declared: dict[str, dict[str, Any]] = {}
    for tool in request.get("tools") or []:
        for decl in tool.get("functionDeclarations") or []:
            declared.setdefault(decl.get("name", ""), decl)
    calling = (request.get("toolConfig") or {}).get("functionCallingConfig") or {}
    mode = str(calling.get("mode") or "AUTO").upper()
    allowed = calling.get("allowedFunctionNames") or []
    callable_ = {n: d for n, d in declared.items() if not allowed or n in allowed}
    if mode == "NONE":
        return []
    calls = []
    for match in _CALL_RE.finditer(text):
        name, raw = match.group(1), match.group(2) or "{}"
        if name not in callable_:
            continue
        try:
            args = json.loads(raw)
        except ValueError:
            continue
        if isinstance(args, dict):
            calls.append({"name": name, "args": args})
    if not calls and mode == "ANY" and callable_:
        # Forced calling: the model must call something, so call the first tool.
        name, decl = next(iter(callable_.items()))
        schema = decl.get("parametersJsonSchema") or decl.get("parameters")
        args = minimal_instance(schema, text, openapi="parametersJsonSchema" not in decl) if schema else {}
        calls.append({"name": name, "args": args if isinstance(args, dict) else {}})
    return calls


def _answer_text(gen: Mapping[str, Any], subject: str, responses: list) -> tuple[str, str]:
    mime = gen.get("responseMimeType")
    schema = gen.get("responseJsonSchema") or gen.get("responseSchema")
    if mime == "application/json":
        openapi = not gen.get("responseJsonSchema")
        answer = compact_json(minimal_instance(schema, subject, openapi=openapi) if schema else {"echo": subject})
    elif mime == "text/x.enum" and isinstance(schema, dict) and schema.get("enum"):
        answer = str(schema["enum"][0])
    else:
        answer = subject if responses else f"echo: {subject}"
    finish = "STOP"
    stops = [s for s in gen.get("stopSequences") or [] if s and s in answer]
    if stops:
        answer = answer[: min(answer.index(s) for s in stops)]
    limit = gen.get("maxOutputTokens")
    if limit is not None and count_words(answer) > int(limit):
        answer = "".join(_PIECE_RE.findall(answer)[: int(limit)]).rstrip()
        finish = "MAX_TOKENS"
    return answer, finish


def _text_chunks(answer: str, finish: str, model: str, show: bool, signer: ThoughtSigner) -> list[Chunk]:
    groups = _split_groups(answer)
    parts = [{"text": g} for g in groups]
    signature = signer.issue(f"{model}|text|{answer}")
    if is_gemini3(model):
        # As captured: the signature rides on a trailing empty-text part.
        chunks = [Chunk([p]) for p in parts]
        return chunks + [Chunk([{"text": "", "thoughtSignature": signature}], finish)]
    if show:
        parts[0]["thoughtSignature"] = signature
    chunks = [Chunk([p]) for p in parts[:-1]]
    return chunks + [Chunk([parts[-1]], finish)]


def _call_chunks(calls: list[dict], model: str, active: bool, signer: ThoughtSigner) -> list[Chunk]:
    parts: list[dict[str, Any]] = [{"functionCall": call} for call in calls]
    if is_gemini3(model) or active:
        # Google signs only the first call of a parallel batch.
        parts[0]["thoughtSignature"] = signer.issue(f"{model}|call|{compact_json(calls)}")
    if is_gemini3(model):
        return [Chunk(parts), Chunk([{"text": ""}], "STOP")]
    return [Chunk(parts, "STOP", FUNCTION_CALL_FINISH_MESSAGE)]


def _split_groups(text: str) -> list[str]:
    """Split into word groups whose concatenation is exactly `text`."""
    pieces = _PIECE_RE.findall(text)
    if not pieces:
        return [text]
    n = len(pieces)
    groups = n if n < 3 else min(n, max(3, math.ceil(n / 4)))
    size, extra = divmod(n, groups)
    out, start = [], 0
    for i in range(groups):
        end = start + size + (1 if i < extra else 0)
        out.append("".join(pieces[start:end]))
        start = end
    return out

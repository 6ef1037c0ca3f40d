"""What of a GenerateContentRequest's settings the web app can honour, and what is said or refused instead.

The web app takes a message, a model and a thinking setting, nothing else (reference/gemini-web-protocol.md §3.4:
no sampling, length, format or safety slot is known in the inner request). So, per field of Gemini's
GenerationConfig (ai.google.dev/api/generate-content#generationconfig):

* said in `X-Gemgate-Adjusted` and not applied — what clients send by default and can live without:
  temperature, topP, topK, seed, presencePenalty, frequencyPenalty (no sampling settings), maxOutputTokens
  (the app decides the answer's length), mediaResolution, enableEnhancedCivicAnswers, safetySettings, and Google's
  own tools (googleSearch, codeExecution, urlContext, …: the app decides when to use its own, §6.10);
* refused with a 400 — what a client relies on and would silently not get: responseLogprobs/logprobs,
  candidateCount > 1, speechConfig and non-text responseModalities, cachedContent, responseMimeType other
  than text/plain and application/json;
* JSON mode (responseMimeType application/json, with or without a schema): asked for in the prompt (`json_mode`)
  and said in the header; the answer is held until it ends, a ```json fence around it taken off, and one that
  is not JSON asked for once more (`JsonAnswer`). It is not validated against the schema.
* thinking: the app has standard and extended thinking (inner[80] = 1|2, §6.4); whatever depth a client asks is
  mapped onto those two and said (`thinking`). The `@think=N` → inner[17] claim is disputed (§9.1: zexadev reads
  inner[17] as the turn index), so no depth is sent. Thinking cannot be switched off: "none" keeps standard
  thinking and hides the thoughts.

Stop sequences are not handled here.
"""

from __future__ import annotations

import json
import re

from ...errors import Cause, Failure, UpstreamError
from ...gemini.thinking import ThinkingRequest
from .answer import Reshaped
from .payload import loads
from .models import EXTENDED, STANDARD

SAMPLING = "the Gemini web app has no sampling settings"
IGNORED = {
    "temperature": SAMPLING, "topP": SAMPLING, "topK": SAMPLING, "seed": SAMPLING,
    "presencePenalty": SAMPLING, "frequencyPenalty": SAMPLING,
    "maxOutputTokens": "the Gemini web app decides the answer's length",
    "mediaResolution": "the Gemini web app reads files at its own resolution",
    "enableEnhancedCivicAnswers": "not a setting of the Gemini web app",
}
REFUSED = {
    "responseLogprobs": "gemini-web accounts cannot return log probabilities",
    "logprobs": "gemini-web accounts cannot return log probabilities",
    "speechConfig": "gemini-web accounts answer in text only",
    "audioTimestamp": "gemini-web accounts answer in text only",
}
JSON = "application/json"
# §6.10: "Web search has no known toggle. It is decided server-side, and the results show up only as citations";
# the app's other tools (code execution, Canvas, …) are its own choice too.
OWN_TOOLS = "the Gemini web app decides by itself when to search or run code; its sources come back as citations"
# An effort's thinking budget at or below which standard thinking serves it: "medium"'s nominal budget
# (gemini.thinking._NOMINAL_BUDGETS, Google's OpenAI compatibility layer maps medium to 8K); above it, extended.
STANDARD_BUDGET = 8192
_EXTENDED_EFFORTS = ("high", "max")
_TWO = "the Gemini web app has standard and extended thinking only"


def _refuse(message: str) -> UpstreamError:
    """Not the request's fault (Cause.SERVICE): an account of another kind serving the model may honour it."""
    return UpstreamError(Failure.BAD_REQUEST, message, status=400, cause=Cause.SERVICE)


def _given(value: object) -> bool:
    return value is not None and value is not False and value != []


def settings_notes(request: dict) -> list[str]:
    """Notes for the settings the web app ignores. Raises UpstreamError 400 (Cause.SERVICE) naming the first
    setting it refuses."""
    generation = request.get("generationConfig") or {}
    notes = []
    for key, value in generation.items():
        if key in REFUSED and _given(value):
            raise _refuse(f"generationConfig.{key}: {REFUSED[key]}")
        if key in IGNORED and _given(value):
            notes.append(f"{key} ignored ({IGNORED[key]})")
    count = generation.get("candidateCount")
    if isinstance(count, int) and count > 1:
        raise _refuse("gemini-web accounts give one answer per request: ask for one candidate (n=1)")
    modalities = [str(m).upper() for m in generation.get("responseModalities") or ()]
    if any(m != "TEXT" for m in modalities):
        raise _refuse(f"generationConfig.responseModalities {modalities}: gemini-web accounts answer in text")
    mime = generation.get("responseMimeType")
    if mime not in (None, "", "text/plain", JSON):
        raise _refuse(f"generationConfig.responseMimeType {mime}: gemini-web accounts can answer text or JSON only")
    if mime == JSON:
        notes.append("responseMimeType=application/json asked for in the prompt (the Gemini web app has no JSON "
                     "mode; the answer is checked to be JSON, not against a schema)")
    builtin = sorted({name for tool in request.get("tools") or () if isinstance(tool, dict)
                      for name in tool if name != "functionDeclarations"})
    if builtin:
        notes.append(f"tools {', '.join(builtin)} ignored ({OWN_TOOLS})")
    if request.get("safetySettings"):
        notes.append("safetySettings ignored (the Gemini web app applies its own)")
    if request.get("cachedContent"):
        raise _refuse("cachedContent: gemini-web accounts have no context caching")
    return notes


def json_mode(request: dict) -> str | None:
    """The prompt section asking for a JSON answer (with the schema when one is given), or None."""
    generation = request.get("generationConfig") or {}
    if generation.get("responseMimeType") != JSON:
        return None
    schema = generation.get("responseJsonSchema", generation.get("responseSchema"))
    text = "Answer with one JSON value only: no prose, no code fence."
    if isinstance(schema, dict):
        text += " It must match this JSON schema:\n" + json.dumps(schema, ensure_ascii=False, separators=(",", ":"))
    return text


_FENCED = re.compile(r"```(?:json|JSON)?[ \t]*\n(.*?)\n?```", re.S)


def json_text(text: str) -> str | None:
    """The answer as one JSON value's text: the whole answer, or what a ```json fence around it holds (models
    add one though told not to); None when that is not JSON."""
    body = text.strip()
    fenced = _FENCED.fullmatch(body)
    if fenced:
        body = fenced.group(1).strip()
    try:
        loads(body)
    except ValueError:
        return None
    return body


class JsonAnswer(Reshaped):
    """A JSON-mode answer: held until it ends, then sent as one text part holding the JSON value (`json_text`);
    an answer that is not JSON is Unusable (see Reshaped)."""

    what = "JSON answer"

    def __init__(self, label: str, strict: bool, after: Reshaped | None = None) -> None:
        super().__init__(label, strict, after)
        self.whole = ""

    def text(self, text: str) -> list[dict]:
        """Nothing yet: the text is kept."""
        self.whole += text
        return []

    def end(self) -> list[dict]:
        """The JSON value, or (not strict) the answer as it was."""
        value = json_text(self.whole)
        if value is None:
            value = self.unusable("the answer is not one JSON value", self.whole)
        part = self.fresh(value)
        return [part] if part else []


def _asked(thinking: ThinkingRequest) -> str:
    if thinking.budget is not None:
        return f"{thinking.param or 'thinkingBudget'}={thinking.budget}"
    if thinking.level is not None:
        return f"{thinking.param or 'thinkingLevel'}={thinking.level}"
    return f"effort {thinking.effort}"


def thinking(thinking: ThinkingRequest | None, default: int) -> tuple[dict | None, str | None]:
    """(thinkingConfig, note) for what a client asked of a model whose thinking is `default` (STANDARD, or
    EXTENDED for a `-thinking` alias). The thinkingConfig is what `thinking_of` reads back at generation time
    (a thinkingLevel HIGH for extended, LOW for standard, includeThoughts False to hide the thoughts); None when
    nothing was asked. The note says how the request was approximated."""
    if thinking is None or thinking.adaptive:
        return None, None
    config: dict = {}
    if thinking.include_thoughts is not None:
        config["includeThoughts"] = thinking.include_thoughts
    if thinking.budget is not None:
        off = thinking.budget == 0
        level = default if thinking.budget < 0 else EXTENDED if thinking.budget > STANDARD_BUDGET else STANDARD
    elif thinking.level is not None:
        off, level = False, EXTENDED if thinking.level.upper() == "HIGH" else STANDARD
    elif thinking.effort in (None, "auto"):  # the model's default (a `-thinking` suffix's extended written down)
        if default == EXTENDED:
            config["thinkingLevel"] = "HIGH"
        return config or None, None
    else:
        off = thinking.effort == "none"
        level = EXTENDED if thinking.effort in _EXTENDED_EFFORTS else STANDARD
    config["thinkingLevel"] = "HIGH" if level == EXTENDED else "LOW"
    if off:
        config["includeThoughts"] = False
        return config, f"thinking=standard, thoughts hidden (asked {_asked(thinking)}: thinking cannot be switched off in the Gemini web app)"
    if thinking.budget is not None and thinking.budget < 0:
        return config, None
    name = "extended" if level == EXTENDED else "standard"
    return config, f"thinking={name} (asked {_asked(thinking)}: {_TWO})"


def thinking_of(request: dict, default: int) -> tuple[int, bool]:
    """(inner[80] thinking, whether thoughts are shown) for a request's thinkingConfig, as `thinking` writes it
    or as any dialect does: thinkingLevel HIGH or a budget above STANDARD_BUDGET is extended, another level or
    budget standard, none (or a dynamic -1 budget) the model's default; includeThoughts False hides them."""
    config = (request.get("generationConfig") or {}).get("thinkingConfig") or {}
    level, budget = config.get("thinkingLevel"), config.get("thinkingBudget")
    mode = default
    if isinstance(level, str):
        mode = EXTENDED if level.upper() == "HIGH" else STANDARD
    elif isinstance(budget, int) and not isinstance(budget, bool) and budget >= 0:
        mode = EXTENDED if budget > STANDARD_BUDGET else STANDARD
    return mode, config.get("includeThoughts") is not False and budget != 0


def _native(config: object) -> ThinkingRequest | None:
    """A Gemini-native thinkingConfig as the ThinkingRequest it stands for (None when it asks no depth)."""
    if not isinstance(config, dict):
        return None
    budget, level = config.get("thinkingBudget"), config.get("thinkingLevel")
    include = config.get("includeThoughts") if isinstance(config.get("includeThoughts"), bool) else None
    if isinstance(budget, int) and not isinstance(budget, bool):
        return ThinkingRequest(budget=budget, include_thoughts=include, param="thinkingConfig.thinkingBudget")
    if isinstance(level, str):
        return ThinkingRequest(level=level, include_thoughts=include, param="thinkingConfig.thinkingLevel")
    return ThinkingRequest(include_thoughts=include) if include is not None else None


def adjust(request: dict, asked: ThinkingRequest | None, default: int) -> tuple[str, ...]:
    """Write the thinking decision into `request` (`thinking`; a Gemini-native thinkingConfig is read as what it
    asks) and return every note (thinking, ignored settings, JSON mode) for the response header. Raises
    UpstreamError 400 as `settings_notes`."""
    notes = settings_notes(request)
    if asked is None:
        asked = _native((request.get("generationConfig") or {}).get("thinkingConfig"))
    config, note = thinking(asked, default)
    if config is not None:
        request.setdefault("generationConfig", {})["thinkingConfig"] = config
    return tuple(([note] if note else []) + notes)

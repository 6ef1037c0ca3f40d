"""The value ranges Google's Gemini API accepts for request parameters, whatever the model: one table read by
every dialect's parser (OpenAI names its own fields, Gemini-native the Gemini field paths) and by the fake
Gemini API (`gemgate.testing.gemini_validation`), so the gateway refuses before the upstream is asked exactly
what Google would refuse. Per-model rules (thinking budgets, output limits, penalties ...) are in
`capabilities`; this table holds the rules that do not depend on the model.

Sources, cited per row:
  [gc]      ai.google.dev/api/generate-content#GenerationConfig: stopSequences "The set of character sequences
            (up to 5)"; temperature "Values can range from [0.0, 2.0]"; topP, the cumulative probability of
            nucleus sampling, 0.0-1.0 (the Vertex AI inference reference gives "Range: 0.0 - 1.0");
            logprobs "Only valid if responseLogprobs=True", 1-20 in Google's logprobs notebook
            (GoogleCloudPlatform/generative-ai gemini/logprobs/intro_logprobs.ipynb, quoted in issue #2947);
            0 is the OpenAI route's "none" and no source says Google refuses it.
  [trouble] ai.google.dev/gemini-api/docs/troubleshooting: "Candidate count 1-8" (the out-of-range parameter
            values that give INVALID_ARGUMENT); 2.x takes up to 8 (router-for-me/CLIProxyAPI#961, 2026-01).
  [fd]      FunctionDeclaration.name, Gemini API (generativelanguage v1beta): "Must be a-z, A-Z, 0-9, or contain
            underscores, colons, dots, and dashes, with a maximum length of 64" (ai.google.dev/api/caching
            #FunctionDeclaration; the google_cloud_ai_generativelanguage_v1beta binding docs); Google's 400 says
            "Must start with a letter or an underscore ... with a maximum length of 64." (google-gemini/gemini-cli
            #9535, 2025-09; lbjlaq/Antigravity-Manager#1440, 2026-02). Vertex AI (aiplatform v1) documents 128;
            this table is the Gemini API's.
  [dup]     Two declarations of one name: 400 INVALID_ARGUMENT "Duplicate function declaration found: <name>"
            (quoted by public projects hitting it with google-adk and LangGraph tools, 2026).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Range:
    """A generationConfig field's accepted values: `lo`..`hi` inclusive; `integer` for whole numbers."""

    field: str
    lo: float
    hi: float
    integer: bool = False

    @property
    def bounds(self) -> tuple[float, float]:
        """(lo, hi), for `dialects.validate.number`/`integer`."""
        return self.lo, self.hi

    def allows(self, value: object) -> bool:
        """Whether Google accepts `value`; a spelling that is no number (see `as_number`) is not judged here."""
        number = as_number(value)
        return number is None or self.lo <= number <= self.hi


def as_number(value: object) -> float | None:
    """The number a proto3 JSON value spells (5, 5.0, "5", "0.5"; protobuf.dev/programming-guides/json), None for
    anything else (a boolean, null, "abc", NaN): that is a type error for Google's parser, not a range one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if number == number else None  # NaN compares unequal to itself


TEMPERATURE = Range("temperature", 0, 2)  # [gc]
TOP_P = Range("topP", 0, 1)  # [gc]
CANDIDATE_COUNT = Range("candidateCount", 1, 8, integer=True)  # [trouble]
LOGPROBS = Range("logprobs", 0, 20, integer=True)  # [gc]
#: Every ranged generationConfig field, checked in this order.
GENERATION_RANGES = (TEMPERATURE, TOP_P, CANDIDATE_COUNT, LOGPROBS)

MAX_STOP_SEQUENCES = 5  # [gc]
MAX_FUNCTION_NAME_LENGTH = 64  # [fd]
FUNCTION_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_.:\-]{0,%d}" % (MAX_FUNCTION_NAME_LENGTH - 1))  # [fd]


def function_name_problem(name: object) -> str | None:
    """Why Google refuses `name` as a FunctionDeclaration.name [fd], in words saying what to send; None if valid."""
    if isinstance(name, str) and FUNCTION_NAME_RE.fullmatch(name):
        return None
    return ("must start with a letter or an underscore and hold only a-z, A-Z, 0-9, underscores, dots, colons "
            f"or dashes, at most {MAX_FUNCTION_NAME_LENGTH} characters")


def duplicate_names(names: list[object]) -> list[tuple[int, str]]:
    """(index, name) of every name already seen earlier in `names` [dup]; non-strings are ignored."""
    seen: set[str] = set()
    out: list[tuple[int, str]] = []
    for i, name in enumerate(names):
        if isinstance(name, str):
            if name in seen:
                out.append((i, name))
            seen.add(name)
    return out

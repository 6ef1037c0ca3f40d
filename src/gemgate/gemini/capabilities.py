"""What each Gemini model family accepts, in one table with the source of every row.

Every dialect's thinking settings are checked against this table (through `catalog.apply_model_spec`):
a value the model accepts is sent as is, one it does not is refused with a `Refused` naming the
parameter and what is allowed. Nothing is changed silently; only effort *names* (reasoning_effort,
-high suffixes, @think=N) are mapped to an allowed value, by `gemini.thinking`. The parameters and
combinations a family rejects (`Accepts`, applied by `gemini.request_rules`) are in the same rows. The ranges
that hold for every model (temperature, topP, candidateCount, logprobs, stopSequences, function names) are in
the sibling table `gemini.param_ranges`, read by both dialects' parsers and by the fake.

Where a value is not documented (budgets on Gemini 3.x, levels of a 3.x model not listed here), it is
sent as is and Google decides: the gateway refuses only what a source says Google refuses.

Sources, cited per row below:
  [thinking]  ai.google.dev/gemini-api/docs/thinking ("Set the thinking budget" table: min, max, and
              whether 0 turns thinking off, per 2.5 model; "Thinking levels" for Gemini 3.x; sending both
              thinkingBudget and thinkingLevel is a 400). The shared references do not give the ranges.
  [models]    ai.google.dev/gemini-api/docs/models (output token limit per model); the shared references
              give only "max output 65,535/65,536 for Gemini" (reference/antigravity.md §5, from
              CLIProxyAPI's metadata); no capture in shared/fixtures holds a Model resource.
  [cli]       reference/codeassist-and-gemini-api.md §A3: observed thinkingConfig values (2.5: budgets
              8192, 512, 0, -1; 3.x: thinkingLevel "HIGH").
  [ag]        reference/antigravity.md §6.1: 3.x accepts thinkingLevel or thinkingBudget, never both; Pro
              has no "minimal".
  [peers]     reference/peers.md §3 item 13: both = 400; 3.x has no "off".
  [penalty]   Gemini API 400 "Penalty is not enabled for models/gemini-2.5-flash" (PublicAffairs/openai-gemini#63,
              2025-07; BerriAI/litellm#32273, 2026-07, 2.5); 3.x likewise (BerriAI/litellm#16907, 2025-11, removes
              penalties for Gemini 3; Ikalus1988/MisakaNet#1473, 2026-09). 2.0 Flash accepts them (#63).
  [logprobs]  Gemini API 400 "Logprobs is not enabled for models/gemini-2.5-flash" (langchain-google#1266,
              2025-11), "/gemini-2.5-flash-lite" (Vela-Research/think-reason-learn#34, 2025-10), "/gemini-2.5-pro"
              (googleapis/python-genai#1921, 2026-01: "only works with gemini-2.0-flash"; mscraftsman/generative-
              ai#135, 2026-05, moved its test to 2.0 Flash). Vertex AI returns them for 2.5 (vercel/ai#5418) -
              this table is the Gemini API's. 3.x: refused on Vertex ("Logprobs is not supported for this
              model", GoogleCloudPlatform/generative-ai#2947, 2026-06, 3.5 Flash); no report shows the Gemini API
              returning them for any 3.x model, so they count as refused (the most recent evidence; unconfirmed).
  [json+fn]   "Function calling with a response mime type: 'application/json' is unsupported" on 1.5/2.x
              (google/adk-python#5735, 2026-05, 2.5 Pro, fine with functionCallingConfig mode NONE; symfony/
              ai#1777, 2026-03, 2.5 Flash). Gemini 3 combines structured output with tools (ai.google.dev Gemini 3
              guide "Structured Outputs with tools"; pydantic/pydantic-ai#4848, 2026-03).
  [tool+fn]   Built-in tools with function calling: "Tool use with function calling is unsupported by the model."
              on 2.x (withceleste/celeste-python#197; symfony/ai#803). 3.x: only with
              toolConfig.includeServerSideToolInvocations, else "Please enable tool_config.include_server_side_
              tool_invocations"; the flag on 2.5 is "Tool call context circulation is not enabled for models/..."
              (ai.google.dev/gemini-api/docs/tool-combination; prism-php/prism#972, every model tested, 2026).
  [tool+json] "Tool use with a response mime type: 'application/json' is unsupported" on 2.x (snailyp/gemini-
              balance#264); Gemini 3 accepts built-in tools with structured output (Gemini 3 guide, as [json+fn]).
  [n]         candidateCount > 1 on every 3.x model at the Gemini API: "Multiple candidates is not enabled for this
              model" (googleapis/js-genai#1609, 2026-05, incl. GA gemini-3.1-flash-lite; googleapis/python-
              genai#1723, 2025-11); 2.x takes up to 8 (router-for-me/CLIProxyAPI#961, 2026-01).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

DYNAMIC = -1  # thinkingBudget -1: the model decides how much to think [thinking]
ALL_LEVELS = ("MINIMAL", "LOW", "MEDIUM", "HIGH")  # ThinkingLevel enum, shallowest first [thinking]


class Refused(ValueError):
    """A thinking setting the model does not accept: `param` is the request field, the message says
    what is allowed."""

    def __init__(self, message: str, param: str) -> None:
        super().__init__(message)
        self.param = param


@dataclass(frozen=True)
class Budget:
    """A documented thinkingBudget range: `minimum..maximum` tokens, 0 when `can_disable`, and -1."""

    minimum: int
    maximum: int
    can_disable: bool

    def allows(self, value: int) -> bool:
        """Whether Google accepts this budget for the model."""
        return value == DYNAMIC or (value == 0 and self.can_disable) or self.minimum <= value <= self.maximum

    def describe(self) -> str:
        """The allowed values in words, e.g. "128..32768 or -1 (dynamic)", "0 (off), 1..24576 or -1 (dynamic)"."""
        off = "0 (off), " if self.can_disable else ""
        return f"{off}{self.minimum}..{self.maximum} or -1 (dynamic)"


@dataclass(frozen=True)
class Accepts:
    """Which request parameters and combinations a family accepts (True: send as is). Checked, and the
    refusal or drop decided, by `gemini.request_rules`.

    `penalties`: generationConfig.presencePenalty/frequencyPenalty. `logprobs`: responseLogprobs (Gemini API).
    `json_with_functions`: responseMimeType application/json with function declarations (mode not NONE).
    `builtin_with_functions`: built-in tools (googleSearch, codeExecution, ...) with function declarations:
    "yes", "flag" (only with toolConfig.includeServerSideToolInvocations, which no other model takes) or "no".
    `json_with_builtin`: responseMimeType application/json with a built-in tool. `candidates`:
    generationConfig.candidateCount above 1.
    """

    penalties: bool = True
    logprobs: bool = True
    json_with_functions: bool = True
    builtin_with_functions: str = "yes"
    json_with_builtin: bool = True
    candidates: bool = True


# Models the table has no evidence for: everything is sent as is and Google decides.
ANY = Accepts()
# [penalty] [logprobs] [json+fn] [tool+fn] [tool+json]: 2.5 refuses all five.
GEMINI_25 = Accepts(False, False, False, "no", False)
# [penalty] [logprobs] (refused per the most recent evidence, see the note) [json+fn] [tool+fn] [tool+json] [n].
GEMINI_3 = Accepts(False, False, True, "flag", True, False)
# [penalty] [logprobs]: 2.0 Flash takes penalties and logprobs; the tool combinations are 2.x's [json+fn]
# [tool+fn] [tool+json]. Also used for 2.0 Flash Thinking, whose penalties and logprobs no report covers.
GEMINI_20 = Accepts(True, True, False, "no", False)


@dataclass(frozen=True)
class Capabilities:
    """One row: what a model family accepts.

    `family` is the short name used elsewhere ("2.5-flash", "3-pro"; None: cannot think). `budget` is
    the documented thinkingBudget range (None: not documented, a budget is sent as is). `levels` are
    the thinkingLevel values, shallowest first (empty: levels are not accepted, 2.5 uses budgets);
    `levels_documented` says whether a level outside them is known to be refused. `can_disable`:
    thinking can be turned off. `output_token_limit`: maxOutputTokens ceiling (None: not in the table).
    `accepts`: the parameters and combinations the family takes.
    """

    row: str
    family: str | None
    budget: Budget | None = None
    levels: tuple[str, ...] = ()
    levels_documented: bool = False
    can_disable: bool = True
    output_token_limit: int | None = None
    accepts: Accepts = ANY

    @property
    def thinks(self) -> bool:
        """Whether the model can think at all."""
        return self.family is not None

    @property
    def uses_levels(self) -> bool:
        """Gemini 3.x: thinking is controlled by thinkingLevel (budgets only for backwards compatibility)."""
        return bool(self.levels)


# ---------------------------------------------------------------------------------------------------
# The table. Rows are matched by model-id prefix, the most specific first.
# ---------------------------------------------------------------------------------------------------

# [thinking] "Gemini 2.5 Flash-Lite: 512 to 24576; 0 turns thinking off; -1 dynamic". Google's message for
# 128: "The thinking budget 128 is invalid. Please choose a value between 512 and 24576." (public report
# earendil-works/pi#2838). Output 65536 [models].
_FLASH_LITE_25 = Capabilities("gemini-2.5-flash-lite", "2.5-flash-lite", Budget(512, 24576, True),
                              output_token_limit=65536, accepts=GEMINI_25)
# [thinking] "Gemini 2.5 Flash: 0 to 24576 (minimum 1 when on); 0 turns thinking off; -1 dynamic"; a recorded
# response shows Flash honouring a budget of 50 (issue 6 §2). [cli] observed 512 and 0. Output 65536 [models].
_FLASH_25 = Capabilities("gemini-2.5-flash", "2.5-flash", Budget(1, 24576, True), output_token_limit=65536,
                         accepts=GEMINI_25)
# [thinking] "Gemini 2.5 Pro: 128 to 32768; thinking cannot be turned off; -1 dynamic". Google's message for
# 0: "Budget 0 is invalid. This model only works in thinking mode." (snailyp/gemini-balance#206). [cli]
# observed 8192. Output 65536 [models].
_PRO_25 = Capabilities("gemini-2.5-pro", "2.5-pro", Budget(128, 32768, False), can_disable=False,
                       output_token_limit=65536, accepts=GEMINI_25)
# [thinking] "Gemini 3 Pro: thinkingLevel LOW or HIGH (default HIGH); thinking cannot be turned off"; [ag]
# "Pro has no minimal"; [peers] 3.x has no off. Budgets: accepted for backwards compatibility, range not
# documented -> sent as is. Output 65536 [models].
_PRO_3 = Capabilities("gemini-3-pro", "3-pro", None, ("LOW", "HIGH"), True, can_disable=False,
                      output_token_limit=65536, accepts=GEMINI_3)
# Not in the shared references. Public: Gemini 3.1 Pro adds MEDIUM and has no MINIMAL (docs.litellm.ai
# "Gemini 3.1 Pro" release note; Google's ThinkingLevel docs: "Minimal: not supported on Gemini 3.1 Pro").
_PRO_31 = Capabilities("gemini-3.1-pro", "3-pro", None, ("LOW", "MEDIUM", "HIGH"), True, can_disable=False,
                       output_token_limit=65536, accepts=GEMINI_3)
# [thinking] "Gemini 3 Flash: MINIMAL, LOW, MEDIUM, HIGH (default HIGH)"; [ag] minimal|low|medium|high.
# MINIMAL does not guarantee thinking is off, and no source says a 3.x Flash refuses budget 0, so 0 is
# sent as is. Output 65536 [models].
_FLASH_3 = Capabilities("gemini-3-flash", "3-flash", None, ALL_LEVELS, True, output_token_limit=65536,
                        accepts=GEMINI_3)
# Later 3.x/4.x models not listed above: levels as the nearest listed family, but a level outside them is
# sent as is (Google decides), since their levels are not in the table.
_PRO_LATER = Capabilities("gemini-3+ pro (unlisted)", "3-pro", None, ("LOW", "HIGH"), False, can_disable=False,
                          accepts=GEMINI_3)
_FLASH_LATER = Capabilities("gemini-3+ flash (unlisted)", "3-flash", None, ALL_LEVELS, False, accepts=GEMINI_3)
# gemini-2.0-flash-thinking-exp: thinks (googleapis/js-genai recording in shared/fixtures/gemini-api shows
# includeThoughts honoured); its budget range is not documented -> sent as is.
_THINKING_EXP = Capabilities("gemini-2.0-flash-thinking", "2.5-flash", accepts=GEMINI_20)
# [models] Gemini 2.0 Flash: no thinking, 8192 output tokens.
_FLASH_20 = Capabilities("gemini-2.0-flash", None, output_token_limit=8192, accepts=GEMINI_20)
# Claude served through Antigravity (reference/antigravity.md §5, CLIProxyAPI's thinking metadata: "Claude budget
# 1024-64000 (zero allowed)", max output 64,000; §6.1: Claude takes the budget form, never levels).
_CLAUDE = Capabilities("claude (Antigravity)", "claude", Budget(1024, 64000, True), output_token_limit=64000)
# [models] Image and TTS variants of 2.5 do not think (gemini-2.5-flash-image, -flash-preview-tts).
_NO_THINKING = Capabilities("other", None)

_ROWS: tuple[tuple[str, Capabilities], ...] = (
    ("gemini-2.5-flash-lite", _FLASH_LITE_25),
    ("gemini-2.5-flash", _FLASH_25),
    ("gemini-2.5-pro", _PRO_25),
    ("gemini-3.1-pro", _PRO_31),
    ("gemini-3-pro", _PRO_3),
    ("gemini-3-flash", _FLASH_3),
    # Antigravity's "gemini-pro-agent" is "Gemini 3.1 Pro (High)" (reference/antigravity.md §5, CLIProxyAPI's
    # catalogue of 2026-08-21): a 3.x Pro, so its replayed calls need their signatures like any Gemini 3.
    ("gemini-pro-agent", _PRO_31),
    ("claude-", _CLAUDE),
)


@functools.lru_cache(maxsize=1024)
def capabilities(model: str) -> Capabilities:
    """The table row for a model id (with or without "models/")."""
    m = model.lower().removeprefix("models/")
    if m.startswith("gemini-2.5") and ("image" in m or "tts" in m):
        return _NO_THINKING
    for prefix, row in _ROWS:
        if m.startswith(prefix):
            return row
    if m.startswith(("gemini-3", "gemini-4")):
        return _FLASH_LATER if "flash" in m else _PRO_LATER
    if m.startswith("gemini-2.5"):
        return _FLASH_25 if "flash" in m else _PRO_25
    if "thinking" in m:
        return _THINKING_EXP
    if m.startswith("gemini-2.0-flash"):
        return _FLASH_20
    return _NO_THINKING


def check_budget(model: str, value: object, param: str) -> int:
    """The budget, if `model` accepts it; raises Refused naming `param` (its last segment in the message).

    A budget for a model without a documented range (Gemini 3.x) is returned as is, except 0 where thinking
    cannot be turned off.
    """
    name = param.rsplit(".", 1)[-1]
    if isinstance(value, bool) or not isinstance(value, int):
        raise Refused(f"{name} must be an integer number of tokens, got {value!r}", param)
    caps = capabilities(model)
    if not caps.thinks:
        if value == 0:
            return value  # "no thinking" is what the model does anyway
        raise Refused(f"{name} {value}: {model} does not support thinking; omit the thinking config", param)
    budget = caps.budget
    if budget is None:
        if value < DYNAMIC:
            raise Refused(f"{name} {value} is invalid; use a token count or -1 (dynamic)", param)
        if value == 0 and not caps.can_disable:
            raise Refused(f"{name} 0 is invalid: thinking cannot be turned off on {model}", param)
        return value
    if budget.allows(value):
        return value
    allowed = budget.describe()
    if value == 0:
        raise Refused(f"{name} 0 is invalid: thinking cannot be turned off on {model}; allowed: {allowed}", param)
    if 0 < value < budget.minimum:
        raise Refused(f"{name} {value} is below {model}'s minimum of {budget.minimum}; allowed: {allowed}", param)
    if value > budget.maximum:
        raise Refused(f"{name} {value} is above {model}'s maximum of {budget.maximum}; allowed: {allowed}", param)
    raise Refused(f"{name} {value} is invalid for {model}; allowed: {allowed}", param)


def check_level(model: str, value: object, param: str) -> str:
    """The thinkingLevel, if `model` accepts it (case as sent); raises Refused naming `param`."""
    name = param.rsplit(".", 1)[-1]
    caps = capabilities(model)
    if not isinstance(value, str):
        raise Refused(f"{name} must be one of {', '.join(ALL_LEVELS)}, got {value!r}", param)
    if not caps.thinks:
        raise Refused(f"{name} {value}: {model} does not support thinking; omit the thinking config", param)
    if not caps.uses_levels:
        allowed = caps.budget.describe() if caps.budget else "a token count or -1 (dynamic)"
        raise Refused(f"{name} is not supported by {model}; use thinkingBudget: {allowed}", param)
    if value.upper() not in ALL_LEVELS or (caps.levels_documented and value.upper() not in caps.levels):
        raise Refused(f"{name} {value} is not supported by {model}; allowed: {', '.join(caps.levels)}", param)
    return value


def check_thinking_config(model: str, config: object, prefix: str = "generationConfig.thinkingConfig") -> None:
    """Check a client's own Gemini thinkingConfig (camelCase) against the model; raises Refused.

    Both thinkingBudget and thinkingLevel is a 400 at Google [thinking][peers]; on a model that cannot
    think, anything but "no thinking" (budget 0, includeThoughts false) is refused.
    """
    if not isinstance(config, dict):
        raise Refused(f"{prefix} must be an object", prefix)
    budget, level = config.get("thinkingBudget"), config.get("thinkingLevel")
    if budget is not None and level is not None:
        raise Refused("set only one of thinkingBudget and thinkingLevel, not both", prefix)
    if budget is not None:
        check_budget(model, budget, f"{prefix}.thinkingBudget")
    if level is not None:
        check_level(model, level, f"{prefix}.thinkingLevel")
    if config.get("includeThoughts") and not capabilities(model).thinks:
        raise Refused(f"includeThoughts: {model} does not support thinking", f"{prefix}.includeThoughts")

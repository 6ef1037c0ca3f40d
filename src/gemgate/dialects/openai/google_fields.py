"""Google's own fields on an OpenAI request: `google` (top level) or `extra_body.google`.

Google's OpenAI compatibility layer documents `extra_body: {"google": {"thinking_config": {"thinking_budget",
"thinking_level", "include_thoughts"}}}` (ai.google.dev/gemini-api/docs/openai, "Thinking"); the OpenAI SDK
merges `extra_body` into the top level, so `google` arrives there, and raw HTTP clients send the
`extra_body` object itself. Keys are also accepted in the camelCase of Google's own API and SDKs
(`thinkingConfig`, `thinkingBudget` ...), as the same client often speaks both. Anything else is a 400 naming
it, and so are one setting given twice (two spellings, or both places with different values).
"""

from __future__ import annotations

from ...errors import bad_request
from ..validate import expect, no_unknown

_EXTRA_BODY_FIELDS = frozenset({"google"})
_GOOGLE_FIELDS = {"thinking_config": "thinkingConfig"}
_THINKING_FIELDS = {
    "thinking_budget": "thinkingBudget", "thinking_level": "thinkingLevel", "include_thoughts": "includeThoughts",
}  # fmt: skip


def google_settings(body: dict) -> dict:
    """The `google` object of a Chat Completions body as {snake_case key: value}, with `thinking_config` (if
    any) the same way; {} when absent.

    Raises GatewayError 400 naming the field: `extra_body` or `google` not an object, a key that is not Google's
    documented one, a key given in both spellings, or `google` and `extra_body.google` both sent and different.
    """
    extra = body.get("extra_body")
    nested = None
    if extra is not None:
        expect(extra, dict, "extra_body")
        no_unknown(extra, _EXTRA_BODY_FIELDS, "extra_body")
        nested = extra.get("google")
    top = body.get("google")
    if top is not None and nested is not None and top != nested:
        raise bad_request(
            "'google' and 'extra_body.google' are both set and differ; send Google's settings once", "extra_body.google"
        )
    where = "google" if top is not None else "extra_body.google"
    google = top if top is not None else nested
    if google is None:
        return {}
    settings = _aliased(expect(google, dict, where), _GOOGLE_FIELDS, where)
    if settings.get("thinking_config") is not None:
        at = f"{where}.thinking_config"
        settings["thinking_config"] = _aliased(expect(settings["thinking_config"], dict, at), _THINKING_FIELDS, at)
    return settings


def _aliased(obj: dict, fields: dict[str, str], where: str) -> dict:
    """`obj` with camelCase keys of `fields` (snake -> camel) read as their snake_case names; a 400 for an
    unknown key or for one field under both names."""
    camel = {c: s for s, c in fields.items()}
    no_unknown(obj, frozenset(fields) | frozenset(camel), where)
    out: dict = {}
    for key, value in obj.items():
        name = camel.get(key, key)
        if name in out:
            raise bad_request(f"'{where}' sets {name} twice ({name} and {fields[name]}); send one", f"{where}.{key}")
        out[name] = value
    return out

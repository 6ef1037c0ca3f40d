"""Every parameter the anthropic SDK can send to /v1/messages (beta included, which Claude Code uses) is known to
the dialect: translated, accepted without effect, or refused with a reason; and the README lists the ignored ones."""

from __future__ import annotations

import typing
from pathlib import Path

from gemgate.dialects.anthropic.request import KNOWN_FIELDS, NO_EFFECT_FIELDS, parse_messages
from gemgate.dialects.base import ParseInput

README = Path(__file__).resolve().parents[2] / "README.md"
# Sent by the SDK as headers or query, never in the body.
NOT_BODY = {"betas", "user_profile_id", "workspace_id", "extra_headers", "extra_query", "extra_body", "timeout"}


def sdk_fields() -> set[str]:
    from anthropic.types import message_create_params as plain
    from anthropic.types.beta import message_create_params as beta

    names: set[str] = set()
    for module in (plain, beta):
        for cls in (module.MessageCreateParamsNonStreaming, module.MessageCreateParamsStreaming):
            names |= set(typing.get_type_hints(cls))
    return names - NOT_BODY


def test_every_sdk_message_parameter_is_known():
    unknown = sorted(sdk_fields() - KNOWN_FIELDS)
    assert not unknown, f"anthropic SDK message parameters gemgate does not handle: {unknown}; map, accept or refuse them"


def test_no_effect_fields_change_nothing():
    base = {"model": "gemini-2.5-flash", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]}
    plain = parse_messages(ParseInput(base))
    for name in NO_EFFECT_FIELDS:
        value = {"user_id": "u"} if name == "metadata" else None
        work = parse_messages(ParseInput({**base, name: value}))
        assert (work.request, work.thinking, work.adjusted) == (plain.request, plain.thinking, plain.adjusted), name


def test_readme_lists_the_no_effect_fields():
    section = README.read_text().split("### Fields accepted without effect", 1)[1].split("\n## ", 1)[0]
    for name in NO_EFFECT_FIELDS:
        assert f"`{name}`" in section, name

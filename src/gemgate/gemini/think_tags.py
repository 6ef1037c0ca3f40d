"""Thoughts written into answer text between tags, for clients that read no reasoning field.

The tag name is a setting (`think_tag`): `think` by default (DeepSeek-R1 style, what Open WebUI and LiteLLM
fold away), or `thinking` (what the Cloudflare gemini-cli worker this project replaces emits).
"""

from __future__ import annotations

import re
from typing import Literal

ThinkTag = Literal["think", "thinking"]

# A block the gateway wrote at the start of an assistant message that a client sends back in its history.
_LEADING_BLOCK = re.compile(r"\A\s*<(think|thinking)>.*?</\1>\s*", re.DOTALL)


def tags(name: ThinkTag) -> tuple[str, str]:
    """The opening and closing tag for `name`: ("<think>", "</think>")."""
    return f"<{name}>", f"</{name}>"


def strip_leading_block(text: str) -> str:
    """`text` without a leading `<think>…</think>` or `<thinking>…</thinking>` block (and the blank space
    around it): a replayed answer's thoughts are not part of what the model said, and sent back as text they
    teach the model to write tags itself. Text without such a block is returned as it is."""
    if "</think" not in text:
        return text
    return _LEADING_BLOCK.sub("", text, count=1)

"""Inbound API dialects. This registry is the one place they are named: to add a dialect, add its
`DIALECT` here. Order matters where dialects share a path: the first answers unmatched paths."""

from __future__ import annotations

from . import anthropic, code_assist, gemini_native, openai
from .base import Dialect

DIALECTS: tuple[Dialect, ...] = (openai.DIALECT, gemini_native.DIALECT, code_assist.DIALECT, anthropic.DIALECT)

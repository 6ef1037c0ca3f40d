"""Claude served through Antigravity: its thinking-signature and budget rules, and its answer shape
(antigravity.md §6). Errors are Anthropic's, relayed by Vertex as a JSON string in a Google 400 (§6.3).
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import secrets
from dataclasses import replace
from typing import Any, Mapping

from gemgate.testing.fake_model import Chunk, Reply, Usage, count_words, last_user_text
from gemgate.testing.gemini_errors import GoogleApiError
from gemgate.testing.thought_signatures import ThoughtSigner

MIN_BUDGET = 1024  # Claude's smallest thinking budget (CLIProxyAPI thinking metadata, §5 and §6.1)
TOOL_NAME = re.compile(r"[a-zA-Z0-9_-]{1,64}")  # Claude's function names (§6.4, antigravity-claude-proxy)


def claude_error(message: str) -> GoogleApiError:
    """A 400 whose message is Anthropic's error as a JSON string, as Vertex relays it (§6.3)."""
    body = {"type": "error", "error": {"type": "invalid_request_error", "message": message},
            "request_id": "req_vrtx_" + secrets.token_hex(12)}
    return GoogleApiError(400, json.dumps(body, separators=(",", ":")))


def validate_claude(inner: Mapping[str, Any], signer: ThoughtSigner) -> dict[str, Any]:
    """Raise Claude's 400s; return `inner` without thinking fields, for the Gemini request rules.

    Every thought part needs a signature `signer` issued, and every signature must be one: invented ones
    and the Gemini sentinel are refused (§6.3). A thinking budget is at least `MIN_BUDGET` and below
    maxOutputTokens (antigravity-claude-proxy raises maxOutputTokens above the budget for it, §6.1). Tools:
    see `_check_tools`. Empty text parts are refused by the Gemini rules the caller applies next (§6.4: "the
    Claude adapter rejects empty text parts"). The wording of the tool errors is the fake's own (no capture).
    """
    calls: set[str] = set()
    for i, content in enumerate(inner.get("contents") or []):
        for j, part in enumerate(content.get("parts") or []):
            signature = part.get("thoughtSignature")
            if (part.get("thought") and not signature) or (signature is not None and not signer.is_issued(signature)):
                raise claude_error(f"messages.{i}.content.{j}: Invalid `signature` in `thinking` block")
            # functionCall / functionResponse carry the tool_use id (§6.4); a result answers a call made before.
            if "functionCall" in part:
                if not part["functionCall"].get("id"):
                    raise claude_error(f"messages.{i}.content.{j}.tool_use.id: Field required")
                calls.add(part["functionCall"]["id"])
            if "functionResponse" in part and part["functionResponse"].get("id") not in calls:
                raise claude_error(f"messages.{i}.content.{j}.tool_result.tool_use_id: names no earlier tool_use")
    _check_tools(inner)
    gen = inner.get("generationConfig") or {}
    budget = (gen.get("thinkingConfig") or {}).get("thinkingBudget")
    if budget:
        if budget < MIN_BUDGET:
            raise claude_error(f"thinking.budget_tokens: Input should be greater than or equal to {MIN_BUDGET}")
        most = gen.get("maxOutputTokens")
        if most is not None and most <= budget:
            raise claude_error("`max_tokens` must be greater than `thinking.budget_tokens`")
    plain = copy.deepcopy(dict(inner))
    (plain.get("generationConfig") or {}).pop("thinkingConfig", None)
    for content in plain.get("contents") or []:
        for part in content.get("parts") or []:
            part.pop("thoughtSignature", None)
            part.pop("thought", None)
    return plain


def _check_tools(inner: Mapping[str, Any]) -> None:
    """Function names in Claude's alphabet; in VALIDATED mode (what gateways send for Claude, §4.3) every
    object schema of a declaration has at least one property (§6.4, CLIProxyAPI addEmptySchemaPlaceholder)."""
    mode = ((inner.get("toolConfig") or {}).get("functionCallingConfig") or {}).get("mode")
    for t, tool in enumerate(inner.get("tools") or []):
        for d, decl in enumerate(tool.get("functionDeclarations") or []):
            if not TOOL_NAME.fullmatch(str(decl.get("name", ""))):
                raise claude_error(f"tools.{t}.custom.name: String should match pattern '^[a-zA-Z0-9_-]{{1,64}}$'")
            if mode == "VALIDATED":
                for node in _schemas(decl.get("parameters", decl.get("parametersJsonSchema"))):
                    if str(node.get("type", "")).lower() == "object" and not node.get("properties"):
                        raise claude_error(f"tools.{t}.custom.input_schema: an object schema needs at least one "
                                           "property in VALIDATED mode")


def _schemas(schema: Any) -> list[dict[str, Any]]:
    """Every dict in a schema tree (nested properties, items, anyOf ...)."""
    if isinstance(schema, dict):
        return [schema] + [n for v in schema.values() for n in _schemas(v)]
    if isinstance(schema, list):
        return [n for v in schema for n in _schemas(v)]
    return []


def claude_reply(reply: Reply, inner: Mapping[str, Any], model: str, signer: ThoughtSigner) -> Reply:
    """Claude's answer: tool calls carry ids (§6.4); with includeThoughts a thought part signed by `signer`
    comes first (§6.2)."""
    chunks = []
    for chunk in reply.chunks:
        parts = [dict(p) for p in chunk.parts]
        for part in parts:
            if "functionCall" in part:
                call = dict(part["functionCall"])
                call.setdefault("id", "toolu_" + hashlib.sha256(repr(call).encode()).hexdigest()[:24])
                part["functionCall"] = call
        chunks.append(replace(chunk, parts=parts))
    cfg = (inner.get("generationConfig") or {}).get("thinkingConfig") or {}
    if cfg.get("includeThoughts") and cfg.get("thinkingBudget", 1) != 0:
        thought = f"**Considering the request**\n\nThe user wrote: {' '.join(last_user_text(inner).split()[:8])}"
        part = {"text": thought, "thought": True,
                "thoughtSignature": signer.issue(f"{model}|{thought}|{secrets.token_hex(4)}")}
        chunks.insert(0, Chunk([part]))
        reply = replace(reply, usage=Usage(reply.usage.prompt_tokens, reply.usage.candidates_tokens,
                                           count_words(thought)))
    return replace(reply, chunks=chunks)

"""The fake web app's model as a real model following gemgate's tool prompt would behave (written on its own from
the protocol the prompt states, sharing no code with the gateway's `upstreams/web/tools.py`).

The gateway's prompt (docs/gemini-web.md "Tool calling") declares each function as one JSON line with "name",
"description", "parameters"; asks for calls as a fenced block tagged `tool-call` holding
`{"name", "arguments"}`; shows earlier calls the same way and results as ```tool-result blocks holding
`{"name", "response"}`; says "you must call" when a call is required; and ends with "Answer with one JSON value
only" (and the schema) for JSON mode. `model_request` reads a prompt into the
Gemini request the shared fake model answers (declarations, tool config, and the last turn: its text or its tool
results); `as_text_reply` writes the fake model's function calls back as that text, each block split over
several snapshots so a client sees a call arrive in pieces, and its MALFORMED_FUNCTION_CALL answer as a block
whose JSON is cut off (what a model that fumbles the format writes).
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any

from gemgate.testing.fake_model import Chunk, Reply

_SECTION = "Functions you can call (tools)."
_BLOCK = re.compile(r"```(tool-call|tool-result)\n(.*?)\n```", re.S)
_MUST_ONE = re.compile(r"you must call the function (\S+?):")
_TURN = "\n\nUser:"
_JSON = "Answer with one JSON value only"


def _declarations(prompt: str) -> list[dict]:
    """The JSON lines of the tools section that declare a function."""
    start = prompt.find(_SECTION)
    if start < 0:
        return []
    out = []
    for line in prompt[start:].split("\n")[1:]:
        if not line.startswith("{"):
            break
        try:
            decl = json.loads(line)
        except ValueError:
            break
        if isinstance(decl, dict) and "name" in decl and "parameters" in decl:
            out.append({"name": decl["name"], "description": decl.get("description", ""),
                        "parametersJsonSchema": decl["parameters"]})
    return out


def _last_turn(prompt: str) -> str:
    """The text after the last `User:` label, else the prompt after the tools section's last line."""
    at = prompt.rfind(_TURN)
    if at >= 0:
        return prompt[at + len(_TURN):].lstrip(" \n")
    start = prompt.find(_SECTION)
    if start >= 0:
        rest = prompt[start:].split("\n\n")
        # the section is two paragraphs (declarations; the format and rules); the turn follows
        return "\n\n".join(rest[2:]) if len(rest) > 2 else ""
    return prompt


def model_request(prompt: str, generation: dict) -> dict:
    """The Gemini request a model reading `prompt` answers: the whole prompt as one user turn, or, when the prompt
    offers functions or holds tool blocks, the declared functions and the last turn (its tool-result blocks as
    functionResponse parts)."""
    declared = _declarations(prompt)
    json_at = prompt.rfind(_JSON)
    if json_at >= 0:  # the answer is asked for as JSON (matching the schema that follows, when one does)
        generation = {**generation, "responseMimeType": "application/json"}
        schema = prompt[json_at:].partition("JSON schema:\n")[2]
        if schema:
            generation["responseJsonSchema"] = json.loads(schema)
        prompt = prompt[:json_at].rstrip()
    if not declared and "```tool-result" not in prompt:
        return {"contents": [{"role": "user", "parts": [{"text": prompt}]}], "generationConfig": generation}
    turn = _last_turn(prompt)
    results = [json.loads(m.group(2)) for m in _BLOCK.finditer(turn) if m.group(1) == "tool-result"]
    parts = [{"functionResponse": {"name": r.get("name"), "response": r.get("response")}} for r in results] \
        or [{"text": turn}]
    request: dict[str, Any] = {"contents": [{"role": "user", "parts": parts}], "generationConfig": generation}
    if declared:
        request["tools"] = [{"functionDeclarations": declared}]
        one = _MUST_ONE.search(prompt)
        if one or "you must call one or more" in prompt:
            config: dict[str, Any] = {"mode": "ANY"}
            if one:
                config["allowedFunctionNames"] = [one.group(1)]
            request["toolConfig"] = {"functionCallingConfig": config}
    return request


def _pieces(text: str, n: int = 3) -> list[str]:
    size = max(1, -(-len(text) // n))
    return [text[i:i + size] for i in range(0, len(text), size)]


def as_text_reply(reply: Reply, request: dict) -> Reply:
    """`reply` with its function calls written as tool-call blocks (split over three snapshots each), and a
    MALFORMED_FUNCTION_CALL finish as a block whose JSON breaks off; other chunks as they are."""
    names = [d["name"] for t in request.get("tools") or () for d in t.get("functionDeclarations") or ()]
    chunks: list[Chunk] = []
    written = False
    for chunk in reply.chunks or ():
        calls = [p["functionCall"] for p in chunk.parts if "functionCall" in p]
        if calls:
            text = "\n\n".join("```tool-call\n" + json.dumps({"name": c["name"], "arguments": c.get("args") or {}})
                               + "\n```" for c in calls)
            chunks += [Chunk([{"text": piece}]) for piece in _pieces(("\n\n" if written else "") + text)]
            written = True
        elif chunk.finish_reason == "MALFORMED_FUNCTION_CALL":
            name = names[0] if names else "unknown"
            broken = '```tool-call\n{"name": "' + name + '", "arguments": {"city": "Par\n```'
            chunks += [Chunk([{"text": piece}]) for piece in _pieces(broken)]
            chunks.append(Chunk([{"text": ""}], "STOP"))
            continue
        else:
            written = written or any(p.get("text") and not p.get("thought") for p in chunk.parts)
            chunks.append(chunk)
            continue
        if chunk.finish_reason:
            chunks.append(Chunk([{"text": ""}], chunk.finish_reason))
    return replace(reply, chunks=chunks) if reply.chunks is not None else reply

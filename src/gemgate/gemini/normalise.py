"""Turn any history a client may legally send into one Gemini accepts.

Runs once per generation, after parsing and the model's effects (``pipeline.prepare``), on the Gemini
GenerateContentRequest every dialect produces, so each rule serves every dialect. Pure: the request dict is
changed in place (part dicts are kept, so references the pipeline holds stay valid) and returned.

The rules, in the order they run, each with what Google does that makes it necessary:

1. Empty text parts are dropped, in the contents and in the system instruction, unless the part carries a
   ``thoughtSignature`` (Google emits ``{"text": "", "thoughtSignature": …}`` itself and wants it back).
   Google: 400 "Unable to submit request because it has an empty text parameter. Add a value to the parameter
   and try again." (google-gemini/deprecated-generative-ai-python issue #697; glowingjade/obsidian-smart-composer
   issue #218 against generativelanguage.googleapis.com; microsoft/autogen issue #5762; router-for-me/CLIProxyAPI
   issue #1292 for an assistant turn with empty text). OpenAI accepts `content: ""` and `{"type": "text",
   "text": ""}` in any message.
2. A turn left without parts is dropped ("contents.parts must not be empty.", Google's field check).
3. Consecutive turns of one role are merged into one. Google has accepted consecutive same-role turns since
   late 2024 (zuisong/gemini-openai-proxy issue #83 and PR #87; google/adk-go PR #1302), but function-call
   pairing is per turn: "Please ensure that the number of function response parts is equal to the number of
   function call parts of the function call turn." — a client that sends one tool result per message (every
   OpenAI client; a Gemini-native client may too), or a history where an empty message sat between two of
   one role, gives several turns that must be one.
4. Function responses are paired with the calls of the model turn right before them: "Please ensure that
   function response turn comes immediately after a function call turn." Matched responses are put in the
   order of the calls ("all parallel functionCalls come first, then their functionResponses in the same
   order", shared/reference/antigravity.md §6.3; OpenAI allows tool messages in any order), ahead of any other
   part of the turn. A response that answers no call of that turn (a legacy `function` message sent as context,
   a call trimmed away by the client's history window) becomes a text part saying what the function returned,
   so the information is kept and the pairing rule holds.
5. A conversation with no turns but a system instruction (OpenAI accepts `messages` holding only system or
   developer messages) is sent with the instruction as its user turn: Google rejects an empty `contents`
   ("contents is not specified").
6. A conversation that is one model turn (e.g. only an assistant message, or system + assistant) is sent as a
   user turn: Google rejects it with "Please ensure that single turn requests end with a user role or the role
   field is empty." (microsoft/semantic-kernel issue #13262, fixed the same way in PR #13288).
7. A conversation that starts with a model turn holding function calls (a client's history window cut the
   user message off; OpenAI accepts an assistant message first) gets a short user turn before it: Google
   rejects "Please ensure that function call turn comes immediately after a user turn or after a function
   response turn." (google-gemini/gemini-cli issues #11814, #26486). The text is `CONTINUATION`, in the spirit
   of the synthetic user turn Google's ADK adds (google/adk-go PR #1302).
8. A conversation with nothing left at all (every message empty) cannot be sent: a 400 saying so.
"""

from __future__ import annotations

import orjson

from ..errors import bad_request

__all__ = ["CONTINUATION", "normalise_history"]

CONTINUATION = "Continue."  # the user turn put before a history that starts with a function call (rule 7)


def normalise_history(request: dict) -> dict:
    """Apply the module's rules to a GenerateContentRequest in place and return it.

    Raises GatewayError 400 when nothing of the conversation is left to send (rule 8).
    """
    contents = request.get("contents")
    contents = [c for c in contents if isinstance(c, dict)] if isinstance(contents, list) else []
    system = request.get("systemInstruction")
    if isinstance(system, dict) and isinstance(system.get("parts"), list):
        system["parts"] = _non_empty(system["parts"])
        if not system["parts"]:
            del request["systemInstruction"]
            system = None
    turns: list[dict] = []
    for turn in contents:
        parts = _non_empty(turn.get("parts") if isinstance(turn.get("parts"), list) else [])
        if not parts:
            continue  # rule 2
        turn["parts"] = parts
        if turns and _role(turns[-1]) == _role(turn):
            turns[-1]["parts"].extend(parts)  # rule 3
        else:
            turns.append(turn)
    for i, turn in enumerate(turns):
        if _role(turn) != "model":
            _pair_responses(turn, turns[i - 1] if i else None)  # rule 4
    if not turns and isinstance(system, dict) and system.get("parts"):
        turns = [{"role": "user", "parts": system["parts"]}]  # rule 5
        del request["systemInstruction"]
    if len(turns) == 1 and _role(turns[0]) == "model" and not _has(turns[0], "functionCall"):
        turns[0]["role"] = "user"  # rule 6
    if turns and _role(turns[0]) == "model" and _has(turns[0], "functionCall"):
        turns.insert(0, {"role": "user", "parts": [{"text": CONTINUATION}]})  # rule 7
    if not turns:
        raise bad_request("The conversation is empty: every message's content is empty, so there is nothing to answer")
    request["contents"] = turns
    return request


def _role(turn: dict) -> str:
    """A turn's role; Google reads a missing or empty role as "user"."""
    return turn.get("role") or "user"


def _has(turn: dict, key: str) -> bool:
    return any(key in p for p in turn["parts"] if isinstance(p, dict))


def _non_empty(parts: list) -> list:
    """The parts without empty text (rule 1); a part with a thoughtSignature is kept whatever its text."""
    return [
        p for p in parts if not (isinstance(p, dict) and p.get("text") == "" and not p.get("thoughtSignature"))
    ]


def _pair_responses(turn: dict, previous: dict | None) -> None:
    """Rule 4 for one user turn: responses matching the previous model turn's calls first, in call order;
    a response matching no call becomes text."""
    responses = [p for p in turn["parts"] if isinstance(p, dict) and "functionResponse" in p]
    if not responses:
        return
    calls = []
    if previous is not None and _role(previous) == "model":
        calls = [p["functionCall"] for p in previous["parts"] if isinstance(p, dict) and "functionCall" in p]
    left = list(responses)
    matched = []
    for call in calls:
        found = _match(call, left)
        if found is not None:
            left.remove(found)
            matched.append(found)
    others = [p for p in turn["parts"] if not (isinstance(p, dict) and "functionResponse" in p)]
    turn["parts"] = matched + [_as_text(p["functionResponse"]) for p in left] + others


def _match(call: dict, responses: list[dict]) -> dict | None:
    """The response answering `call`: the one with its id when both carry ids, else the first of its name."""
    call_id = call.get("id") if isinstance(call, dict) else None
    if call_id:
        for part in responses:
            if part["functionResponse"].get("id") == call_id:
                return part
    name = call.get("name") if isinstance(call, dict) else None
    for part in responses:
        fr = part["functionResponse"]
        if fr.get("name") == name and not (call_id and fr.get("id") and fr.get("id") != call_id):
            return part
    return None


def _as_text(response: dict) -> dict:
    """A text part telling the model what a function returned (for a response that answers no call)."""
    body = response.get("response")
    shown = orjson.dumps(body if body is not None else {}).decode()
    return {"text": f"Function {response.get('name') or 'call'} returned: {shown}"}

"""Client-side folds of streamed answers, one per dialect, to compare with the dialect's non-streaming answer.

OpenAI Chat Completions (what the openai SDK's ChatCompletionStreamState and every hand-written client do):
per choice index, `delta.content` and `delta.reasoning_content` concatenated, `delta.tool_calls` assembled by
their `index` (id and name from the first delta, `arguments` concatenated), the last non-null finish_reason,
`logprobs.content` concatenated, `delta.annotations` concatenated, and `usage` from the chunk that carries it.

Gemini-native (what google-genai does when joining a stream: `GenerateContentResponse.text` concatenates the
non-thought text parts, chats keep every part in order, usage is the last chunk's): per candidate index, the
answer text and the thought text concatenated, the function calls in order with their signatures, the text
parts' signatures in order, the last finishReason, the last usageMetadata, logprobsResult.chosenCandidates
concatenated.

Anthropic Messages (what the anthropic SDK's MessageStream accumulates): the message of message_start, blocks
opened by content_block_start and grown by text / thinking / signature / input_json deltas (the JSON parsed at
the block's stop), stop_reason and usage from message_delta; ping skipped, an error event raised.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def openai_stream_fold(events: list[Any]) -> dict:
    """{choice index: {content, reasoning, tool_calls, finish_reason, logprobs}} and "usage" from stream events."""
    choices: dict[int, dict] = {}
    usage = None
    for event in events:
        if not isinstance(event, dict):
            continue
        if event.get("usage"):
            usage = event["usage"]
        for choice in event.get("choices") or ():
            st = choices.setdefault(choice["index"], {"content": "", "reasoning": "", "calls": {}, "finish_reason": None, "logprobs": None,
                                                              "annotations": []})
            delta = choice.get("delta") or {}
            st["content"] += delta.get("content") or ""
            st["reasoning"] += delta.get("reasoning_content") or ""
            st["annotations"] += delta.get("annotations") or []
            for call in delta.get("tool_calls") or ():
                slot = st["calls"].setdefault(call["index"], {"id": None, "name": "", "arguments": ""})
                slot["id"] = slot["id"] or call.get("id")
                fn = call.get("function") or {}
                slot["name"] = slot["name"] or fn.get("name") or ""
                slot["arguments"] += fn.get("arguments") or ""
            if choice.get("finish_reason"):
                st["finish_reason"] = choice["finish_reason"]
            if choice.get("logprobs") and choice["logprobs"].get("content") is not None:
                st["logprobs"] = (st["logprobs"] or []) + choice["logprobs"]["content"]
    out = {
        idx: {
            "content": st["content"],
            "reasoning": st["reasoning"],
            "tool_calls": [st["calls"][i] for i in sorted(st["calls"])],
            "finish_reason": st["finish_reason"],
            "logprobs": st["logprobs"],
            "annotations": st["annotations"],
        }
        for idx, st in choices.items()
    }
    return {"choices": out, "usage": usage}


def openai_whole_view(completion: dict) -> dict:
    """The same view of a `chat.completion`."""
    choices = {}
    for choice in completion["choices"]:
        msg = choice["message"]
        lp = choice.get("logprobs")
        choices[choice["index"]] = {
            "content": msg.get("content") or "",
            "reasoning": msg.get("reasoning_content") or "",
            "tool_calls": [{"id": c["id"], "name": c["function"]["name"], "arguments": c["function"]["arguments"]}
                           for c in msg.get("tool_calls") or ()],
            "finish_reason": choice["finish_reason"],
            "logprobs": lp["content"] if lp else None,
            "annotations": msg.get("annotations") or [],
        }
    return {"choices": choices, "usage": completion.get("usage")}


def assert_openai_agree(whole: dict, events: list[Any]) -> None:
    """The non-streaming completion equals the client-side fold of the stream (tool-call ids aside: each answer
    makes its own)."""
    got, want = openai_stream_fold(events), openai_whole_view(whole)
    for view in (got, want):
        for choice in view["choices"].values():
            for call in choice["tool_calls"]:
                assert call.pop("id"), call
    assert got == want


def gemini_view(chunks: list[dict]) -> dict:
    """The google-genai join of GenerateContentResponse chunks (a whole response is a one-chunk stream)."""
    cands: dict[int, dict] = {}
    usage = feedback = None
    for chunk in chunks:
        usage = chunk.get("usageMetadata", usage)
        feedback = chunk.get("promptFeedback", feedback)
        for cand in chunk.get("candidates") or ():
            st = cands.setdefault(cand.get("index", 0), {"text": "", "thoughts": "", "calls": [], "signatures": [],
                                                        "finishReason": None, "logprobs": None})
            for part in (cand.get("content") or {}).get("parts") or ():
                if "functionCall" in part:
                    st["calls"].append((part["functionCall"], part.get("thoughtSignature")))
                elif "text" in part:
                    st["thoughts" if part.get("thought") else "text"] += part["text"]
                    if part.get("thoughtSignature"):
                        st["signatures"].append(part["thoughtSignature"])
            if cand.get("finishReason"):
                st["finishReason"] = cand["finishReason"]
            chosen = (cand.get("logprobsResult") or {}).get("chosenCandidates")
            if chosen is not None:
                st["logprobs"] = (st["logprobs"] or []) + chosen
    return {"candidates": cands, "usageMetadata": usage, "promptFeedback": feedback}


def stream_captures(fixtures_dir: Path) -> dict[str, list[dict]]:
    """Every recorded Gemini API stream in the captures, by name: vercel/ai chunk files, louter SSE bodies, the
    js-genai recorded SSE answers (status 200 with events) and gemini-cli's generateContentStream records."""
    api = fixtures_dir / "gemini-api"
    out: dict[str, list[dict]] = {}
    for path in sorted(api.glob("*.chunks.txt")):
        out[path.name] = [json.loads(x) for x in path.read_text().splitlines() if x.strip()]
    for path in sorted(api.glob("junjihashimoto__*")):
        out[path.name] = [json.loads(x[6:]) for x in path.read_text().splitlines() if x.startswith("data: ")]
    for path in sorted(api.glob("googleapis__js-genai__*.json")):
        for n, inter in enumerate(json.loads(path.read_text()).get("interactions") or ()):
            resp = inter.get("response") or {}
            if "streamGenerateContent" in inter["request"]["url"] and resp.get("statusCode") == 200 and resp.get("bodySegments"):
                out[f"{path.name}#{n}"] = resp["bodySegments"]
    for path in sorted(api.glob("google-gemini__gemini-cli__*")):
        for n, line in enumerate(path.read_text().splitlines()):
            record = json.loads(line) if line.strip() else {}
            if record.get("method") == "generateContentStream" and record.get("response"):
                out[f"{path.name}#{n}"] = record["response"]
    return out


def anthropic_stream_fold(events: list) -> dict:
    """The Message an Anthropic client builds from the (event type, data) pairs of a Messages stream."""
    message: dict | None = None
    buffers: dict[int, str] = {}
    for kind, data in events:
        assert kind == data["type"], (kind, data)  # the `event:` line names the data's type, as Anthropic sends
        if kind == "ping":
            continue
        if kind == "error":
            raise AssertionError(f"stream error: {data}")
        if kind == "message_start":
            assert message is None
            message = json.loads(json.dumps(data["message"]))
            continue
        assert message is not None, f"{kind} before message_start"
        if kind == "content_block_start":
            assert data["index"] == len(message["content"])
            message["content"].append(dict(data["content_block"]))
        elif kind == "content_block_delta":
            block, delta = message["content"][data["index"]], data["delta"]
            if delta["type"] == "text_delta":
                block["text"] += delta["text"]
            elif delta["type"] == "thinking_delta":
                block["thinking"] += delta["thinking"]
            elif delta["type"] == "signature_delta":
                block["signature"] = delta["signature"]
            else:
                assert delta["type"] == "input_json_delta", delta
                buffers[data["index"]] = buffers.get(data["index"], "") + delta["partial_json"]
        elif kind == "content_block_stop":
            block = message["content"][data["index"]]
            if block["type"] == "tool_use":
                block["input"] = json.loads(buffers.get(data["index"]) or "{}")
        elif kind == "message_delta":
            message.update(data["delta"])
            message["usage"].update(data["usage"])
        else:
            assert kind == "message_stop", kind
    assert message is not None
    return message


def assert_anthropic_agree(whole: dict, events: list) -> None:
    """The non-streaming message equals the client-side fold of the stream (message and tool_use ids aside)."""
    got = anthropic_stream_fold(events)
    for view in (got, whole):
        assert view.pop("id").startswith("msg_")
        for block in view["content"]:
            if block["type"] == "tool_use":
                assert block.pop("id")
    assert got == whole


# OpenAI Responses (what the openai SDK's ResponseStreamState and Codex do): the items of `output_item.done` by
# output_index (Codex builds its history from them), checked against the text, argument and summary deltas that
# built them, the final `response.completed` / `response.incomplete` (status, usage, incomplete_details, output).

def responses_stream_fold(events: list[Any]) -> dict:
    """The Responses view of a stream: {"output": items by output_index, "status", "usage", "incomplete"}; asserts
    the stream's own invariants on the way (sequence numbers 0..n, created first, OpenAI's item order: each item
    done before the next is added, deltas adding up to the done items, the final response's output equal to the
    done items)."""
    assert events and events[0]["type"] == "response.created", events[:1]
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    done: dict[int, dict] = {}
    texts: dict[str, str] = {}
    args: dict[str, str] = {}
    summaries: dict[tuple[str, int], str] = {}
    open_item: int | None = None
    for event in events:
        kind = event["type"]
        if kind == "response.output_item.added":
            assert open_item is None and event["output_index"] == len(done), (open_item, event)
            open_item = event["output_index"]
        elif kind == "response.output_item.done":
            assert event["output_index"] not in done and event["output_index"] == open_item, event
            done[event["output_index"]] = event["item"]
            open_item = None
        elif kind == "response.output_text.delta":
            texts[event["item_id"]] = texts.get(event["item_id"], "") + event["delta"]
        elif kind == "response.function_call_arguments.delta":
            args[event["item_id"]] = args.get(event["item_id"], "") + event["delta"]
        elif kind == "response.reasoning_summary_text.delta":
            key = (event["item_id"], event["summary_index"])
            summaries[key] = summaries.get(key, "") + event["delta"]
    output = [done[i] for i in sorted(done)]
    assert sorted(done) == list(range(len(done)))
    for item in output:
        if item["type"] == "message":
            assert item["content"][0]["text"] == texts.get(item["id"], "")
        elif item["type"] == "function_call":
            assert item["arguments"] == args[item["id"]]
        elif item["type"] == "reasoning":
            assert [s["text"] for s in item["summary"]] == [summaries[(item["id"], i)] for i in range(len(item["summary"]))]
    final = events[-1]
    assert final["type"] in ("response.completed", "response.incomplete"), final
    response = final["response"]
    assert response["output"] == output
    return responses_view(response)


def responses_view(response: dict) -> dict:
    """The comparable view of a response object: output items without their random ids (call ids numbered in
    order, also inside the carried signatures), status, usage, incomplete_details."""
    from gemgate.dialects.openai.responses_carry import unseal

    calls: dict[str, str] = {}
    output = []
    for item in response["output"]:
        item = {k: v for k, v in item.items() if k != "id"}
        if item["type"] == "function_call":
            item["call_id"] = calls.setdefault(item["call_id"], f"call-{len(calls)}")
        output.append(item)
    for item in output:
        if item.get("encrypted_content"):
            item["encrypted_content"] = [{**e, "c": calls.get(e["c"], e["c"])} if "c" in e else e
                                         for e in unseal(item["encrypted_content"])]
    return {"output": output, "status": response["status"], "usage": response["usage"],
            "incomplete": response.get("incomplete_details")}


def assert_responses_agree(whole: dict, events: list[Any]) -> None:
    """The non-streaming response equals the client-side fold of the stream (ids aside)."""
    assert responses_stream_fold(events) == responses_view(whole)

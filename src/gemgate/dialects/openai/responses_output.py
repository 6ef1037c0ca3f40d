"""Gemini parts -> Responses API output items, one part at a time, with the stream events each step makes.

The same builder renders a whole answer (fed the folded parts; its events unused) and a stream (fed each
chunk's parts as they come), so both give the same items: parts are grouped as `gemini.aggregate` joins them
(consecutive text of one kind is one segment unless two different signatures meet; an empty unsigned text part
is nothing), and an item's extent depends only on the segments.

Items (platform.openai.com/docs/api-reference/responses/object#responses/object-output): a `message` per answer
text segment (one `output_text` part), a `function_call` per call, and `reasoning` items in OpenAI's order: a
reasoning item is added and done before the next item starts (Codex and the SDK UIs show items as they are
done, so a reasoning item done last showed the summary after the answer). A reasoning item opens with the first
thought shown (its `summary` holds the thought segments as `summary_text` when summaries were asked for) and is
done when the next message or call begins, its `encrypted_content` carrying the thought signatures known by
then (`responses_carry`) when `reasoning.encrypted_content` was included. Signatures known later travel in a
further reasoning item (empty summary, encrypted_content only) right before the next item or at the end: a
call's signature before its call; a text segment's once the segment is over (Gemini may sign its last chunk,
so only then is the segment's signature settled the same way in a stream and in the fold). Clients send every
reasoning item back, and `responses_input` joins the entries of one model turn's items. Thoughts never go into
`output_text`.
"""

from __future__ import annotations

from collections.abc import Callable

import orjson

from ...gemini.args import restore_arg_types
from ...gemini.names import ToolNameMap
from .annotations import url_citations
from ..parts import new_id
from .responses_carry import seal


def _flat(annotation: dict) -> dict:
    """A Chat `url_citation` annotation in the Responses API's flat shape."""
    return {"type": "url_citation", **annotation["url_citation"]}


class OutputBuilder:
    """Output items for one answer. `feed(part)` and `finish(...)` return the stream events they make, as
    (type, fields) pairs; `items` is the output so far. `signed` collects (call_id, signature) of calls.
    `origin()` names the upstream kind issuing the signatures (None: unknown), read when a reasoning item is
    sealed."""

    def __init__(
        self, names: ToolNameMap, schemas: dict[str, dict], summaries: bool, carry: bool,
        namespaced: dict[str, tuple[str, str]] | None = None, origin: Callable[[], str | None] = lambda: None,
    ) -> None:
        self.names, self.schemas, self.namespaced = names, schemas, namespaced or {}
        self.summaries, self.carry, self.origin = summaries, carry, origin
        self.items: list[dict] = []
        self.signed: list[tuple[str, str]] = []
        self._pending: list[dict] = []  # signature entries settled but not yet in a reasoning item
        self._kind: str | None = None  # "text" or "thought": the open text segment's kind (None after a call)
        self._sig: str | None = None  # the open text segment's signature
        self._entry: dict | None = None  # its signature entry (pending once the segment is over)
        self._message: dict | None = None  # the open message item
        self._reasoning: dict | None = None  # the open reasoning item (None once done)
        self._summary_open = False
        self._visible = 0  # texts and calls so far (their positions place the signatures)
        self._texts = 0

    # -- parts ---------------------------------------------------------------------------------------------

    def feed(self, part: dict) -> list[tuple[str, dict]]:
        """The events for one Gemini part."""
        if "functionCall" in part:
            return self._close_segment() + self._call(part)
        if "text" not in part:
            return []  # inline data, executable code ...: nothing this API shows
        text, sig = part["text"], part.get("thoughtSignature")
        if not text and not sig:
            return []  # the closing empty part of a stream: nothing
        kind = "thought" if part.get("thought") else "text"
        events: list[tuple[str, dict]] = []
        if self._kind != kind or (self._sig and sig and sig != self._sig):
            events += self._close_segment()
            self._kind = kind
        if sig:
            self._sig = sig
            self._sign(kind, sig)
        if text:
            events += self._thought(text) if kind == "thought" else self._text(text)
        return events

    def _sign(self, kind: str, sig: str) -> None:
        """Note the open text segment's signature (one per segment: the fold keeps the last): on its message's
        text, else before the next visible part (moved onto the text if text follows in this segment)."""
        if kind == "text" and self._message is not None:
            entry = {"t": self._texts - 1, "s": sig}
        else:
            entry = {"e": self._visible, "s": sig}
        if self._entry is None:
            self._entry = entry
        else:
            self._entry.clear()
            self._entry.update(entry)

    def _close_segment(self, annotations: list[dict] | None = None) -> list[tuple[str, dict]]:
        events: list[tuple[str, dict]] = []
        if self._message is not None:
            events += self._close_message(annotations)
        if self._summary_open:
            events += self._close_summary()
        if self._entry is not None:
            self._pending.append(self._entry)
        self._kind, self._sig, self._entry = None, None, None
        return events

    def _settle_reasoning(self) -> list[tuple[str, dict]]:
        """Before the next item (or at the end): the open reasoning item done, carrying the settled signatures;
        settled signatures without one open get an item of their own."""
        events: list[tuple[str, dict]] = []
        if self.carry and self._pending:
            events += self._open_reasoning()
            self._reasoning["encrypted_content"] = seal(self._pending, self.origin())
        self._pending = []
        if self._reasoning is not None:
            reasoning, self._reasoning = self._reasoning, None
            events.append(("response.output_item.done", {"output_index": self.items.index(reasoning),
                                                         "item": _copy(reasoning)}))
        return events

    def _text(self, text: str) -> list[tuple[str, dict]]:
        events: list[tuple[str, dict]] = []
        if self._message is None:
            events += self._settle_reasoning()
            self._message = {"type": "message", "id": new_id("msg_"), "status": "in_progress", "role": "assistant",
                             "content": []}
            index = len(self.items)
            self.items.append(self._message)
            events.append(("response.output_item.added", {"output_index": index, "item": _copy(self._message)}))
            self._message["content"].append({"type": "output_text", "text": "", "annotations": [], "logprobs": []})
            events.append(("response.content_part.added", {**self._at(self._message), "content_index": 0,
                                                           "part": _copy(self._message["content"][0])}))
            if self._entry is not None:  # the segment's signature came before its text: it rides on the text
                self._entry.clear()
                self._entry.update({"t": self._texts, "s": self._sig})
            self._texts += 1
            self._visible += 1
        self._message["content"][0]["text"] += text
        events.append(("response.output_text.delta", {**self._at(self._message), "content_index": 0, "delta": text,
                                                      "logprobs": []}))
        return events

    def _close_message(self, annotations: list[dict] | None = None) -> list[tuple[str, dict]]:
        message, self._message = self._message, None
        content = message["content"][0]
        if annotations:
            content["annotations"] = annotations
        message["status"] = "completed"
        at = {**self._at(message), "content_index": 0}
        return [
            ("response.output_text.done", {**at, "text": content["text"], "logprobs": []}),
            ("response.content_part.done", {**at, "part": _copy(content)}),
            ("response.output_item.done", {"output_index": self.items.index(message), "item": _copy(message)}),
        ]

    def _thought(self, text: str) -> list[tuple[str, dict]]:
        if not self.summaries:
            return []
        events = self._open_reasoning()
        reasoning = self._reasoning
        if not self._summary_open:
            self._summary_open = True
            reasoning["summary"].append({"type": "summary_text", "text": ""})
            events.append(("response.reasoning_summary_part.added", {
                **self._at(reasoning), "summary_index": len(reasoning["summary"]) - 1,
                "part": {"type": "summary_text", "text": ""}}))
        reasoning["summary"][-1]["text"] += text
        events.append(("response.reasoning_summary_text.delta", {
            **self._at(reasoning), "summary_index": len(reasoning["summary"]) - 1, "delta": text}))
        return events

    def _close_summary(self) -> list[tuple[str, dict]]:
        self._summary_open = False
        reasoning = self._reasoning
        index = len(reasoning["summary"]) - 1
        summary = reasoning["summary"][index]
        return [
            ("response.reasoning_summary_text.done", {**self._at(reasoning), "summary_index": index,
                                                      "text": summary["text"]}),
            ("response.reasoning_summary_part.done", {**self._at(reasoning), "summary_index": index,
                                                      "part": _copy(summary)}),
        ]

    def _open_reasoning(self) -> list[tuple[str, dict]]:
        if self._reasoning is not None:
            return []
        self._reasoning = {"type": "reasoning", "id": new_id("rs_"), "summary": []}
        self.items.append(self._reasoning)
        return [("response.output_item.added", {"output_index": len(self.items) - 1, "item": _copy(self._reasoning)})]

    def _call(self, part: dict) -> list[tuple[str, dict]]:
        fc = part["functionCall"]
        call_id = fc.get("id") or new_id("call_")
        name = fc.get("name", "")
        args = orjson.dumps(restore_arg_types(fc.get("args") or {}, self.schemas.get(name))).decode()
        sig = part.get("thoughtSignature")
        if sig:
            self.signed.append((call_id, sig))
            self._pending.append({"c": call_id, "s": sig})
        settled = self._settle_reasoning()
        self._visible += 1
        client = self.names.to_client(name)
        item = {"type": "function_call", "id": new_id("fc_"), "call_id": call_id, "name": client, "arguments": "",
                "status": "in_progress"}
        if client in self.namespaced:  # a function of a namespace tool: called by its own name in its namespace
            item["namespace"], item["name"] = self.namespaced[client]
        index = len(self.items)
        self.items.append(item)
        added = ("response.output_item.added", {"output_index": index, "item": _copy(item)})
        item["arguments"], item["status"] = args, "completed"
        at = self._at(item)
        return settled + [
            added,
            ("response.function_call_arguments.delta", {**at, "delta": args}),
            ("response.function_call_arguments.done", {**at, "name": item["name"], "arguments": args}),
            ("response.output_item.done", {"output_index": index, "item": _copy(item)}),
        ]

    # -- the end ---------------------------------------------------------------------------------------------

    def finish(self, cited: dict | None) -> list[tuple[str, dict]]:
        """Close what is open: the last message (with url_citation annotations from the folded `cited`
        candidate fields, groundingMetadata / citationMetadata) or thought summary, then the open reasoning item
        (or a last one) with the signatures not carried yet."""
        annotations = []
        if self._message is not None and cited:
            text = self._message["content"][0]["text"]
            sources = (cited.get("citationMetadata") or {}).get("citationSources") or []
            annotations = [_flat(a) for a in url_citations(cited.get("groundingMetadata"), sources, text)]
        return self._close_segment(annotations) + self._settle_reasoning()

    def _at(self, item: dict) -> dict:
        return {"item_id": item["id"], "output_index": self.items.index(item)}


def _copy(item: dict) -> dict:
    """A snapshot of an item as it is now (events must not change when the item grows later)."""
    return orjson.loads(orjson.dumps(item))

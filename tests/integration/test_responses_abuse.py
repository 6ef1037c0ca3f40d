"""What a careless or hostile client does with the stored state of the Responses and Conversations APIs:
references that multiply one stored item past the body limit, conversation items that could never be sent,
and additions racing on one conversation."""

from __future__ import annotations

import threading

from tests.support.http import get, post
from tests.support.upstream import upstream_requests

MODEL = "gemini-2.5-flash"
BODY_BYTES = 64 * 1024


def responses(gw, body):
    return post(f"{gw.url}/v1/responses", body, key=gw.key)


def test_item_references_cannot_multiply_a_stored_item_past_the_body_limit(make_gateway, fake_api):
    """One stored item of 20 KiB referenced 10 times stands for a 200 KiB body: refused like one (a 400 naming
    `input`, nothing sent upstream, nothing stored), where it once reached Gemini and the store 10 times over."""
    gw = make_gateway(limits={"body_bytes": BODY_BYTES})
    first = responses(gw, {"model": MODEL, "input": "ref-big " + "x" * 20 * 1024})
    assert first.status == 200, first.text
    item = get(f"{gw.url}/v1/responses/{first.json()['id']}/input_items", key=gw.key).json()["data"][0]["id"]
    ref = {"type": "item_reference", "id": item}
    r = responses(gw, {"model": MODEL, "input": [ref] * 10 + [{"role": "user", "content": "ref-many"}]})
    assert r.status == 400, r.text
    assert r.json()["error"]["param"] == "input" and "limits.body_bytes" in r.json()["error"]["message"]
    assert not upstream_requests(fake_api, "ref-many")
    few = responses(gw, {"model": MODEL, "input": [ref, {"role": "user", "content": "ref-few"}]})
    assert few.status == 200, few.text


def conversations(gw, path: str, body):
    return post(f"{gw.url}/v1/conversations{path}", body, key=gw.key)


BAD_ITEMS = [
    ({"type": "message", "role": "robot", "content": "x"}, "items[0].role"),
    ({"type": 5}, "items[0].type"),
    ({"type": "message", "role": "user", "content": 5}, "items[0].content"),
    ({"type": "function_call", "call_id": 7, "name": "f", "arguments": "{}"}, "items[0].call_id"),
    ({"type": "function_call_output", "call_id": "c", "output": {"not": "text"}}, "items[0].output"),
]


def test_conversation_items_are_checked_when_added(gw):
    """An item no response could send is refused where it is given (a 400 naming `items[i]...`): kept, it made
    every later response of the conversation a 400 about an item that request never sent."""
    for item, param in BAD_ITEMS:
        r = conversations(gw, "", {"items": [item]})
        assert r.status == 400 and r.json()["error"]["param"].startswith(param), (item, r.text)
    cid = conversations(gw, "", {"items": [{"role": "user", "content": "hello conv-check"}]}).json()["id"]
    for item, param in BAD_ITEMS:
        r = conversations(gw, f"/{cid}/items", {"items": [{"role": "user", "content": "fine"}, item]})
        assert r.status == 400 and r.json()["error"]["param"].startswith(param.replace("[0]", "[1]")), (item, r.text)
    # A call may be added before its output (in a later addition), and the conversation still answers.
    call = {"type": "function_call", "call_id": "call_1", "name": "lookup", "arguments": "{}"}
    assert conversations(gw, f"/{cid}/items", {"items": [call]}).status == 200
    done = {"type": "function_call_output", "call_id": "call_1", "output": "found"}
    assert conversations(gw, f"/{cid}/items", {"items": [done]}).status == 200
    r = responses(gw, {"model": MODEL, "input": "and now conv-check", "conversation": cid})
    assert r.status == 200, r.text


def test_concurrent_additions_to_one_conversation_all_stay(gw):
    """Twenty additions at once on one instance: every one is kept (each rewrote the head from what it read, so
    all but a few were lost)."""
    cid = conversations(gw, "", {}).json()["id"]
    threads = [threading.Thread(target=conversations, args=(gw, f"/{cid}/items", {"items": [
        {"role": "user", "content": f"add {n}"}]})) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    listed = get(f"{gw.url}/v1/conversations/{cid}/items?limit=100", key=gw.key).json()["data"]
    assert sorted(i["content"][0]["text"] for i in listed) == sorted(f"add {n}" for n in range(20))

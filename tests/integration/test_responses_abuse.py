"""What a careless or hostile client does with the stored state of the Responses and Conversations APIs:
references that multiply one stored item past the body limit, conversation items that could never be sent,
and additions racing on one conversation."""

from __future__ import annotations

import threading
import time

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
    ({"type": "function_call_output", "call_id": "c", "output": {"not": "text"}}, "items[0]"),  # or its call_id
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
    # An output must answer a call of the conversation (else every later response is a 400 about it).
    orphan = {"type": "function_call_output", "call_id": "call_nowhere", "output": "x"}
    for path in ("", f"/{cid}/items"):
        r = conversations(gw, path, {"items": [orphan]})
        assert r.status == 400 and r.json()["error"]["param"] == "items[0].call_id", r.text
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


def test_a_stored_chain_counts_in_the_budget_of_bodies_in_flight(make_gateway):
    """Continuing stored responses reads them back into memory for as long as a body: their bytes count in
    limits.bodies_in_flight_bytes like a body's. A chain larger than the whole budget is a 400 (no retry would
    fit); before, any number of concurrent continuations each held the whole chain outside the budget."""
    gw = make_gateway(limits={"bodies_in_flight_bytes": 1024 * 1024})
    previous, refused = None, None
    for turn in range(8):  # each link keeps its ~100 KB input twice (items and contents): ~200 KB a link
        body = {"model": MODEL, "input": f"chain-budget {turn} " + "y" * 100 * 1024}
        r = responses(gw, {**body, "previous_response_id": previous} if previous else body)
        if r.status != 200:
            refused = (turn, r)
            break
        previous = r.json()["id"]
    assert refused is not None, "a chain past the whole budget was read back"
    turn, r = refused
    assert turn >= 3, r.text  # the chains that fit were served
    assert r.status == 400 and "limits.bodies_in_flight_bytes" in r.json()["error"]["message"], r.text
    assert responses(gw, {"model": MODEL, "input": "still served"}).status == 200


def test_background_runs_leave_nothing_held_in_the_budget(make_gateway):
    """A background run reads and writes its kept response after its request was answered (and gave back its
    share of the budget): those reads are not counted on that request, or the budget would fill for good."""
    from tests.integration.test_body_budget import _held

    gw = make_gateway()
    first = responses(gw, {"model": MODEL, "input": "bg-held " + "z" * 300 * 1024})
    assert first.status == 200, first.text
    rid = responses(gw, {"model": MODEL, "background": True, "input": "bg-held next\nSLOW 0.5",
                         "previous_response_id": first.json()["id"]}).json()["id"]
    deadline = time.monotonic() + 10
    while get(f"{gw.url}/v1/responses/{rid}", key=gw.key).json()["status"] in ("queued", "in_progress"):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert _held(gw) == 0


def test_a_conversation_named_wrongly_is_a_400_not_ignored(gw):
    """`conversation: {}` or `""` answered without any conversation (its history silently left out), and a
    conversation's `metadata: []` was kept as {}: each is now a 400 naming the field."""
    for value, param in (({}, "conversation.id"), ("", "conversation"), ({"id": ""}, "conversation.id")):
        r = responses(gw, {"model": MODEL, "input": "named wrongly", "conversation": value})
        assert r.status == 400 and r.json()["error"]["param"] == param, (value, r.text)
    r = conversations(gw, "", {"metadata": []})
    assert r.status == 400 and r.json()["error"]["param"] == "metadata", r.text


def test_ids_naming_the_stores_own_records_are_not_found(gw):
    """The store keeps item indexes ("item/<id>") and heartbeats ("beat/<id>") beside the responses clients
    name; a previous_response_id naming one reached it (a 500)."""
    first = responses(gw, {"model": MODEL, "input": "own records"}).json()
    running = responses(gw, {"model": MODEL, "input": "own records\nSLOW 1", "background": True}).json()
    for prev in (f"item/{first['output'][0]['id']}", f"beat/{running['id']}"):
        r = responses(gw, {"model": MODEL, "input": "next", "previous_response_id": prev})
        assert r.status == 400 and r.json()["error"]["code"] == "previous_response_not_found", r.text


def test_a_background_run_holds_its_request_in_the_budget_until_it_ends(make_gateway):
    """A background response is answered at once but its request stays in memory while it runs: it keeps its
    bytes in limits.bodies_in_flight_bytes until it ends (16 runs a key, each of up to body_bytes, were held
    outside the budget), and gives them back then."""
    from tests.integration.test_body_budget import _held

    gw = make_gateway(limits={"bodies_in_flight_bytes": 1024 * 1024})
    rid = responses(gw, {"model": MODEL, "background": True, "input": "bg-budget " + "q" * 700 * 1024 + "\nSLOW 3"})
    assert rid.status == 200, rid.text
    assert _held(gw) >= 700 * 1024
    second = responses(gw, {"model": MODEL, "input": "bg-budget second " + "r" * 700 * 1024})
    assert second.status == 503 and "limits.bodies_in_flight_bytes" in second.json()["error"]["message"], second.text
    deadline = time.monotonic() + 15
    while get(f"{gw.url}/v1/responses/{rid.json()['id']}", key=gw.key).json()["status"] in ("queued", "in_progress"):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(0.2)
    assert _held(gw) == 0

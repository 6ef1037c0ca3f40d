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

"""The minimal Conversations API and `conversation` on /v1/responses: items kept once each, the conversation's
history before the input, the input and output added after the response, the caller's own."""

from __future__ import annotations

from tests.support.gateway import CLIENT_KEY
from tests.support.http import get, post, request
from tests.support.upstream import upstream_body


def test_conversation_lifecycle_and_responses(make_gateway, fake_api):
    other = "another-client-key"
    gw = make_gateway(client_keys=[CLIENT_KEY, other])
    url = f"{gw.url}/v1/conversations"
    conv = post(url, {"metadata": {"topic": "t"}, "items": [{"role": "developer", "content": "conv-rule"},
                                                              {"role": "user", "content": "my name is Ada"}]}, key=gw.key)
    assert conv.status == 200, conv.text
    cid = conv.json()["id"]
    assert conv.json()["object"] == "conversation" and conv.json()["metadata"] == {"topic": "t"} and cid.startswith("conv_")
    assert get(f"{url}/{cid}", key=gw.key).json() == conv.json()
    assert get(f"{url}/{cid}", key=other).status == 404  # another client's key sees nothing

    first = post(f"{gw.url}/v1/responses", {"model": "gemini-2.5-flash", "conversation": cid, "input": "conv-turn-1"},
                 key=gw.key)
    assert first.status == 200, first.text
    assert first.json()["conversation"] == {"id": cid}
    sent = upstream_body(fake_api, "conv-turn-1")
    assert sent["systemInstruction"]["parts"] == [{"text": "conv-rule"}]
    assert "my name is Ada" in str(sent["contents"][0]) and "conv-turn-1" in str(sent["contents"][-1])
    second = post(f"{gw.url}/v1/responses", {"model": "gemini-2.5-flash", "conversation": {"id": cid},
                                             "input": [{"role": "user", "content": "conv-turn-2"}]}, key=gw.key)
    assert second.status == 200, second.text
    roles = [c["role"] for c in upstream_body(fake_api, "conv-turn-2")["contents"]]
    assert roles == ["user", "model", "user"]  # Ada + turn 1 (one user turn), the answer, turn 2

    items = get(f"{url}/{cid}/items?order=asc", key=gw.key).json()
    assert items["object"] == "list" and len(items["data"]) == 6 and all(i["id"] for i in items["data"])
    assert items["data"][3]["role"] == "assistant" and items["data"][3]["content"][0]["text"].endswith("conv-turn-1")
    added = post(f"{url}/{cid}/items", {"items": [{"role": "user", "content": "added by hand"}]}, key=gw.key).json()
    assert added["object"] == "list" and added["data"][0]["id"]
    newest = get(f"{url}/{cid}/items?limit=1", key=gw.key).json()
    assert newest["data"][0]["content"][0]["text"] == "added by hand" and newest["has_more"] is True

    r = post(f"{gw.url}/v1/responses", {"model": "gemini-2.5-flash", "conversation": cid,
                                        "previous_response_id": first.json()["id"], "input": "x"}, key=gw.key)
    assert r.status == 400 and r.json()["error"]["param"] == "conversation"
    r = post(f"{gw.url}/v1/responses", {"model": "gemini-2.5-flash", "previous_response_id": first.json()["id"],
                                        "input": "x"}, key=gw.key)
    assert r.status == 400 and "conversation" in r.json()["error"]["message"]
    r = post(f"{gw.url}/v1/responses", {"model": "gemini-2.5-flash", "conversation": cid, "input": "x"}, key=other)
    assert r.status == 400 and cid in r.json()["error"]["message"]

    deleted = request("DELETE", f"{url}/{cid}", key=gw.key).json()
    assert deleted == {"id": cid, "object": "conversation.deleted", "deleted": True}
    assert get(f"{url}/{cid}/items", key=gw.key).status == 404


def test_conversation_errors_name_the_field(gw):
    url = f"{gw.url}/v1/conversations"
    assert post(url, {"items": "x"}, key=gw.key).json()["error"]["param"] == "items"
    assert post(url, {"bogus": 1}, key=gw.key).status == 400
    assert post(f"{url}/conv_nope/items", {"items": []}, key=gw.key).status == 404
    r = post(f"{gw.url}/v1/responses", {"model": "gemini-2.5-flash", "conversation": 5, "input": "x"}, key=gw.key)
    assert r.status == 400 and r.json()["error"]["param"] == "conversation"


def test_prompt_templates_are_refused_saying_what_to_send(gw):
    r = post(f"{gw.url}/v1/responses", {"model": "gemini-2.5-flash", "prompt": {"id": "pmpt_1"}, "input": "x"},
             key=gw.key)
    assert r.status == 400 and r.json()["error"]["param"] == "prompt"
    assert "instructions" in r.json()["error"]["message"] and "not available" in r.json()["error"]["message"]

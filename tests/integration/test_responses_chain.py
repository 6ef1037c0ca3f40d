"""Stored Responses beyond one turn: chains kept one response at a time (linear bytes, continued after a restart
and on another instance), failed and incomplete responses kept, item_reference, the input item list, and the
caller's own 400 for duplicate call ids."""

from __future__ import annotations

import sqlite3

from tests.support.gateway import CLIENT_KEY, GatewayThread
from tests.support.http import get, post, request
from tests.support.upstream import upstream_body

CHAT_FN = {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}
FN = {"type": "function", "name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}


def responses(gw, body, **kw):
    return post(f"{gw.url}/v1/responses", body, key=gw.key, **kw)


def stored_bytes(gw) -> int:
    """Bytes of the stored responses in the gateway's SQLite file."""
    with sqlite3.connect(_db(gw)) as db:
        return db.execute("SELECT coalesce(sum(length(value)), 0) FROM ttl_values WHERE namespace = 'resp'").fetchone()[0]


def test_a_chain_is_stored_in_linear_bytes_and_continues_anywhere(make_gateway, fake_api, tmp_path):
    """30 turns of previous_response_id: each turn adds about the same bytes (it stored the whole conversation
    again each turn: quadratic growth), and the whole history still reaches Gemini."""
    gw = make_gateway()
    previous, sizes = None, [stored_bytes(gw)]
    for turn in range(30):
        body = {"model": "gemini-2.5-flash", "input": f"turn {turn:02d} " + "padding " * 40}
        if previous:
            body["previous_response_id"] = previous
        r = responses(gw, body)
        assert r.status == 200, r.text
        previous = r.json()["id"]
        sizes.append(stored_bytes(gw))
    growth = [b - a for a, b in zip(sizes, sizes[1:])]
    assert max(growth) < 1.3 * min(growth), growth  # each turn costs its own size, not the conversation's
    r = responses(gw, {"model": "gemini-2.5-flash", "previous_response_id": previous, "input": "chain-end-1"})
    sent = upstream_body(fake_api, "chain-end-1")["contents"]
    assert len(sent) == 61 and "turn 00" in sent[0]["parts"][0]["text"] and "turn 29" in sent[58]["parts"][0]["text"]

    # Another instance on the same store, and this one after a restart, continue the chain.
    _continues(GatewayThread(gw.settings.data_dir, fake_api.url, gw.api_keys, db_path=_db(gw)), fake_api, previous,
               "chain-other-2")
    gw.stop()
    _continues(GatewayThread(gw.settings.data_dir, fake_api.url, gw.api_keys), fake_api, previous, "chain-restart-3")


def _continues(server: GatewayThread, fake_api, previous: str, marker: str) -> None:
    """`server` continues the chain ending at `previous` with its whole history."""
    server.start()
    try:
        r = responses(server, {"model": "gemini-2.5-flash", "previous_response_id": previous, "input": marker})
        assert r.status == 200, r.text
        assert len(upstream_body(fake_api, marker)["contents"]) == 61
    finally:
        server.stop()


def _db(gw):
    return gw.settings.db_path or gw.settings.data_dir / "gemgate.db"


def test_a_missing_link_names_its_id(gw):
    first = responses(gw, {"model": "gemini-2.5-flash", "input": "link one"}).json()
    second = responses(gw, {"model": "gemini-2.5-flash", "input": "link two", "previous_response_id": first["id"]}).json()
    assert request("DELETE", f"{gw.url}/v1/responses/{first['id']}", key=gw.key).status == 200
    r = responses(gw, {"model": "gemini-2.5-flash", "input": "x", "previous_response_id": second["id"]})
    assert r.status == 400 and r.json()["error"]["code"] == "previous_response_not_found"
    assert first["id"] in r.json()["error"]["message"]


def test_failed_stream_is_stored_and_continued_from(gw, fake_api):
    """A stream that failed after response.created is kept as OpenAI keeps it: GET shows `failed` with its error,
    and a next response may continue from it (its input is history, it has no output)."""
    events = responses(gw, {"model": "gemini-2.5-flash", "stream": True,
                            "input": "one two three four five six seven fail-kept-1\nFAIL-AFTER 1 500"}).sse()
    failed = events[-1]["response"]
    assert events[-1]["type"] == "response.failed"
    got = get(f"{gw.url}/v1/responses/{failed['id']}", key=gw.key)
    assert got.status == 200, got.text
    assert got.json()["status"] == "failed" and got.json()["error"]["code"] == "server_error"
    # (an answer first: the failed turn's user text, with its FAIL-AFTER, is then not the fake's last user turn)
    r = responses(gw, {"model": "gemini-2.5-flash", "previous_response_id": failed["id"],
                       "input": [{"role": "assistant", "content": "sorry"}, {"role": "user", "content": "fail-kept-2"}]})
    assert r.status == 200, r.text
    sent = upstream_body(fake_api, "fail-kept-2")["contents"]
    assert "fail-kept-1" in sent[0]["parts"][0]["text"] and sent[-1]["parts"][0]["text"] == "fail-kept-2"


def test_incomplete_response_is_stored(gw):
    r = responses(gw, {"model": "gemini-2.5-flash", "max_output_tokens": 3, "input": "one two three four five six kept"})
    assert r.json()["status"] == "incomplete"
    got = get(f"{gw.url}/v1/responses/{r.json()['id']}", key=gw.key).json()
    assert got["status"] == "incomplete" and got["incomplete_details"] == {"reason": "max_output_tokens"}


def test_item_reference_resolves_this_clients_items(make_gateway, fake_api):
    other = "another-client-key"
    gw = make_gateway(client_keys=[CLIENT_KEY, other])
    first = responses(gw, {"model": "gemini-3-pro-preview", "tools": [FN],
                           "input": [{"role": "user", "content": 'CALL get_weather {"city": "Oslo"}\nref-1'}]}).json()
    call = next(i for i in first["output"] if i["type"] == "function_call")
    listed = get(f"{gw.url}/v1/responses/{first['id']}/input_items", key=gw.key).json()
    user_id = listed["data"][0]["id"]
    body = {"model": "gemini-3-pro-preview", "tools": [FN], "store": False, "input": [
        {"type": "item_reference", "id": user_id}, {"type": "item_reference", "id": call["id"]},
        {"type": "function_call_output", "call_id": call["call_id"], "output": "cold ref-2"}]}
    r = responses(gw, body)
    assert r.status == 200, r.text
    sent = upstream_body(fake_api, "ref-2")["contents"]
    assert [c["role"] for c in sent] == ["user", "model", "user"]
    assert "ref-1" in sent[0]["parts"][0]["text"] and sent[1]["parts"][-1]["functionCall"]["args"] == {"city": "Oslo"}
    assert sent[1]["parts"][-1]["thoughtSignature"] != "skip_thought_signature_validator"
    # Another client's key does not reach these items; an unknown id is a 400 naming it.
    for key, missing in ((other, user_id), (gw.key, "msg_nowhere")):
        body["input"][0]["id"] = missing
        r = post(f"{gw.url}/v1/responses", body, key=key)
        assert r.status == 400 and missing in r.json()["error"]["message"], r.text
        assert r.json()["error"]["param"] == "input[0].id"


def test_input_items_list(gw):
    items = [{"role": "developer", "content": "rule"}, {"role": "user", "content": "first"},
             {"role": "assistant", "content": "answer"}, {"role": "user", "content": [{"type": "input_text", "text": "last"}]}]
    rid = responses(gw, {"model": "gemini-2.5-flash", "input": items}).json()["id"]
    url = f"{gw.url}/v1/responses/{rid}/input_items"
    page = get(url, key=gw.key).json()
    assert page["object"] == "list" and page["has_more"] is False
    texts = [i["content"][0]["text"] for i in page["data"]]
    assert texts == ["last", "answer", "first", "rule"]  # newest first, as OpenAI lists them
    assert all(i["id"] and i["type"] == "message" for i in page["data"])
    assert page["data"][1]["content"][0]["type"] == "output_text" and page["data"][0]["content"][0]["type"] == "input_text"
    asc = get(url + "?order=asc&limit=2", key=gw.key).json()
    assert [i["content"][0]["text"] for i in asc["data"]] == ["rule", "first"] and asc["has_more"] is True
    rest = get(url + f"?order=asc&after={asc['last_id']}", key=gw.key).json()
    assert [i["content"][0]["text"] for i in rest["data"]] == ["answer", "last"] and rest["has_more"] is False
    assert get(url + "?limit=0", key=gw.key).status == 400
    assert get(url + "?after=msg_nope", key=gw.key).status == 400
    assert get(f"{gw.url}/v1/responses/resp_nope/input_items", key=gw.key).status == 404


def test_duplicate_call_ids_are_the_callers_400(gw):
    """A call id used twice in the history got Google's wording (about function responses); now the 400 names the
    duplicated id and the field, in each dialect."""
    call = {"type": "function_call", "call_id": "dup_1", "name": "get_weather", "arguments": "{}"}
    out = {"type": "function_call_output", "call_id": "dup_1", "output": "x"}
    r = responses(gw, {"model": "gemini-2.5-flash", "tools": [FN], "input": [
        {"role": "user", "content": "a"}, call, out, {"role": "user", "content": "b"}, call, out]})
    assert r.status == 400 and "dup_1" in r.json()["error"]["message"] and r.json()["error"]["param"] == "input[4].call_id"
    tc = {"id": "dup_2", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}
    r = post(f"{gw.url}/v1/chat/completions", {"model": "gemini-2.5-flash", "tools": [CHAT_FN],
                                               "messages": [{"role": "user", "content": "a"},
                                                            {"role": "assistant", "tool_calls": [tc, tc]},
                                                            {"role": "tool", "tool_call_id": "dup_2", "content": "x"}]},
             key=gw.key)
    assert r.status == 400 and "dup_2" in r.json()["error"]["message"], r.text
    assert r.json()["error"]["param"] == "messages[1].tool_calls[1].id"
    use = {"type": "tool_use", "id": "dup_3", "name": "get_weather", "input": {}}
    result = {"type": "tool_result", "tool_use_id": "dup_3", "content": "x"}
    r = post(f"{gw.url}/v1/messages", {"model": "gemini-2.5-flash", "max_tokens": 100, "messages": [
        {"role": "user", "content": "a"}, {"role": "assistant", "content": [use]}, {"role": "user", "content": [result]},
        {"role": "assistant", "content": [use]}, {"role": "user", "content": [result]}]},
             key=gw.key, key_header="x-api-key", headers={"anthropic-version": "2023-06-01"})
    assert r.status == 400 and r.json()["type"] == "error", r.text
    assert "dup_3" in r.json()["error"]["message"] and "messages[3].content[0].id" in r.json()["error"]["message"]


def test_a_chain_is_walked_at_most_the_messages_limit(make_gateway):
    """The walk back is bounded by `limits.messages` links (a longer chain is more history than one request
    may send as items): beyond it a 400 says what to do instead of reading on."""
    gw = make_gateway(limits={"messages": 3})
    previous = None
    for turn in range(4):  # the 4th continues a chain of 3 links: still within the bound
        body = {"model": "gemini-2.5-flash", "input": f"bounded {turn}"}
        r = responses(gw, {**body, "previous_response_id": previous} if previous else body)
        assert r.status == 200, r.text
        previous = r.json()["id"]
    r = responses(gw, {"model": "gemini-2.5-flash", "input": "one too many", "previous_response_id": previous})
    assert r.status == 400 and r.json()["error"]["param"] == "previous_response_id"
    assert "longer than 3" in r.json()["error"]["message"]

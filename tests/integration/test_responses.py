"""The Responses API over real HTTP against the fake Gemini API: answers and streams, tool round trips with
thought signatures carried in reasoning items or kept by call id, stored responses, failures, keepalives."""

from __future__ import annotations

import json

import pytest

from gemgate.dialects.openai.responses_carry import unseal
from tests.support.agreement import assert_responses_agree
from tests.support.gateway import CLIENT_KEY
from tests.support.http import get, post, request
from tests.support.upstream import upstream_body

FN = {"type": "function", "name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}
THINK = {"reasoning": {"summary": "auto"}, "include": ["reasoning.encrypted_content"]}


def responses(gw, body, **kw):
    return post(f"{gw.url}/v1/responses", body, key=gw.key, **kw)


CASES = {
    "thoughts": {"model": "gemini-2.5-flash", **THINK, "input": "one two three four five resp-agree-1"},
    "calls-gemini3": {"model": "gemini-3-pro-preview", **THINK, "tools": [FN, {"type": "function", "name": "g"}],
                      "input": 'CALL get_weather {"city": "Oslo"}\nCALL g {}\nresp-agree-2'},
    "max-tokens": {"model": "gemini-2.5-flash", "max_output_tokens": 3, "input": "one two three four five six resp-agree-3"},
    "blocked": {"model": "gemini-2.5-flash", "input": "resp-agree-4\nBLOCK"},
    "web-search": {"model": "gemini-2.5-flash", "tools": [{"type": "web_search"}],
                   "input": "who won the cup resp-agree-5\nCITE https://e.x/1"},
    "gemini3-text": {"model": "gemini-3-pro-preview", **THINK, "input": "a b c d resp-agree-6"},
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_stream_and_whole_agree(gw, case):
    whole = responses(gw, {**CASES[case], "store": False})
    stream = responses(gw, {**CASES[case], "store": False, "stream": True})
    assert whole.status == stream.status == 200, (whole.text, stream.text)
    assert stream.headers["content-type"].startswith("text/event-stream")
    assert_responses_agree(whole.json(), stream.sse())


def test_shapes(gw):
    whole = responses(gw, CASES["thoughts"]).json()
    assert whole["object"] == "response" and whole["status"] == "completed" and whole["id"].startswith("resp_")
    reasoning, message, signed = whole["output"]  # the summary before the answer, as OpenAI orders them
    assert reasoning["type"] == "reasoning" and "Considering the request" in reasoning["summary"][0]["text"]
    # Thinking never leaks into the answer text.
    assert message["content"][0]["text"] == "echo: one two three four five resp-agree-1"
    # The fake signs the answer's last chunk: that signature follows in a reasoning item of its own.
    assert signed["type"] == "reasoning" and signed["summary"] == []
    assert [set(e) for e in unseal(signed["encrypted_content"])] == [{"t", "s"}]
    assert whole["usage"]["output_tokens_details"]["reasoning_tokens"] > 0
    assert whole["usage"]["total_tokens"] >= whole["usage"]["input_tokens"] + whole["usage"]["output_tokens"]
    assert responses(gw, CASES["max-tokens"]).json()["incomplete_details"] == {"reason": "max_output_tokens"}
    assert responses(gw, CASES["blocked"]).json()["incomplete_details"] == {"reason": "content_filter"}
    cited = responses(gw, CASES["web-search"]).json()["output"][0]["content"][0]["annotations"]
    assert [a["url"] for a in cited][-1] == "https://e.x/1" and all(a["type"] == "url_citation" for a in cited)


def test_event_sequence(gw):
    events = responses(gw, {**CASES["thoughts"], "stream": True}).sse()
    kinds = [e["type"] for e in events]
    assert kinds[:3] == ["response.created", "response.in_progress", "response.output_item.added"]
    for kind in ("response.reasoning_summary_text.delta", "response.content_part.added", "response.output_text.delta",
                 "response.output_text.done", "response.content_part.done", "response.output_item.done"):
        assert kind in kinds, kinds
    assert kinds[-1] == "response.completed"
    assert kinds.index("response.content_part.added") < kinds.index("response.output_text.delta")
    # The reasoning item (the summary) is done before the answer starts, as OpenAI streams it.
    done = [n for n, e in enumerate(events)
            if e["type"] == "response.output_item.done" and e["item"]["type"] == "reasoning"]
    assert done and done[0] < kinds.index("response.output_text.delta")
    assert events[done[0]]["item"]["summary"]


def _round_trip(gw, fake_api, model: str, marker: str, *, carry: bool) -> dict:
    """A call answered by a second request that sends the first one's output items back (as Codex does); the
    upstream body of the second request."""
    body = {"model": model, "tools": [FN], "store": False, **(THINK if carry else {})}
    first_input = [{"role": "user", "content": f'CALL get_weather {{"city": "Lima"}}\n{marker}'}]
    first = responses(gw, {**body, "input": first_input}).json()
    call = next(i for i in first["output"] if i["type"] == "function_call")
    assert call["name"] == "get_weather" and json.loads(call["arguments"]) == {"city": "Lima"}
    if carry:  # the signature rides in the reasoning item done right before its call
        at = first["output"].index(call)
        assert first["output"][at - 1]["type"] == "reasoning"
        assert any(e.get("c") == call["call_id"] for e in unseal(first["output"][at - 1]["encrypted_content"]))
    output = {"type": "function_call_output", "call_id": call["call_id"], "output": f"sunny {marker}-out"}
    second = responses(gw, {**body, "input": first_input + first["output"] + [output]})
    assert second.status == 200, second.text
    (message,) = [i for i in second.json()["output"] if i["type"] == "message"]
    assert message["content"][0]["text"] == f"tool result: sunny {marker}-out"
    return upstream_body(fake_api, f"{marker}-out")


@pytest.mark.parametrize("carry", [True, False])
def test_gemini3_round_trip_keeps_the_signature(gw, fake_api, carry):
    # The fake refuses a replayed Gemini 3 call without its genuine signature: it comes back from the reasoning
    # item's encrypted_content, or (no reasoning item sent back) from the store by call id.
    sent = _round_trip(gw, fake_api, "gemini-3-pro-preview", f"marker-resp-t3-{carry}", carry=carry)
    call_part = next(p for p in sent["contents"][1]["parts"] if "functionCall" in p)
    assert call_part["thoughtSignature"] not in ("", "skip_thought_signature_validator")


def test_answer_signature_comes_back_from_the_later_reasoning_item(gw, fake_api):
    """Gemini 3 signs the answer's last chunk, after the message began: the reasoning item after the message
    carries it, and sent back with the rest it lands on the answer's text again."""
    body = {"model": "gemini-3-pro-preview", "store": False, **THINK}
    first_input = [{"role": "user", "content": "tell me marker-resp-late"}]
    first = responses(gw, {**body, "input": first_input}).json()
    assert [i["type"] for i in first["output"]] == ["reasoning", "message", "reasoning"]
    ((entry,),) = [unseal(i["encrypted_content"]) for i in first["output"][2:]]
    followup = [*first_input, *first["output"], {"role": "user", "content": "and then marker-resp-late2"}]
    assert responses(gw, {**body, "input": followup}).status == 200
    sent = upstream_body(fake_api, "marker-resp-late2")
    assert sent["contents"][1]["parts"] == [{"text": first["output"][1]["content"][0]["text"],
                                            "thoughtSignature": entry["s"]}]


def test_stored_response_continues_get_and_delete(gw, fake_api):
    first = responses(gw, {"model": "gemini-3-pro-preview", "tools": [FN],
                           "input": [{"role": "developer", "content": "dev-rule"},
                                     {"role": "user", "content": 'CALL get_weather {"city": "Rome"}\nmarker-prev'}]}).json()
    call = first["output"][-1]
    second = responses(gw, {"model": "gemini-3-pro-preview", "tools": [FN], "previous_response_id": first["id"],
                            "input": [{"type": "function_call_output", "call_id": call["call_id"], "output": "warm marker-prev2"}]})
    assert second.status == 200, second.text
    assert second.json()["previous_response_id"] == first["id"]
    sent = upstream_body(fake_api, "marker-prev2")
    assert [c["role"] for c in sent["contents"]] == ["user", "model", "user"]
    assert sent["contents"][1]["parts"][-1]["thoughtSignature"] not in ("", "skip_thought_signature_validator")
    assert sent["systemInstruction"]["parts"] == [{"text": "dev-rule"}]
    got = get(f"{gw.url}/v1/responses/{first['id']}", key=gw.key)
    assert got.status == 200 and got.json() == first
    deleted = request("DELETE", f"{gw.url}/v1/responses/{first['id']}", key=gw.key)
    assert deleted.json() == {"id": first["id"], "object": "response.deleted", "deleted": True}
    for method in ("GET", "DELETE"):
        gone = request(method, f"{gw.url}/v1/responses/{first['id']}", key=gw.key)
        assert gone.status == 404 and gone.json()["error"]["type"] == "invalid_request_error"
    again = responses(gw, {"model": "gemini-2.5-flash", "previous_response_id": first["id"], "input": "x"})
    assert again.status == 400 and again.json()["error"]["code"] == "previous_response_not_found"


def test_unstored_response_is_not_kept(gw):
    first = responses(gw, {"model": "gemini-2.5-flash", "store": False, "input": "not kept"}).json()
    assert get(f"{gw.url}/v1/responses/{first['id']}", key=gw.key).status == 404


@pytest.mark.parametrize(("kw", "status", "param"), [
    ({"raw": b"{not json"}, 400, None),
    ({"body": {"model": "gemini-2.5-flash", "input": 3}}, 400, "input"),
    ({"body": {"model": "gemini-2.5-flash", "input": "x", "max_output_tokens": "many"}}, 400, "max_output_tokens"),
    ({"body": {"model": "gemini-nope", "input": "x"}}, 404, "model"),
])
def test_errors_in_openai_shape(gw, kw, status, param):
    r = post(f"{gw.url}/v1/responses", key=gw.key, **kw)
    assert r.status == status, r.text
    error = r.json()["error"]
    assert set(error) >= {"message", "type", "param", "code"} and error["param"] == param and error["message"]


def test_missing_and_wrong_key(gw):
    for key in (None, "wrong-key"):
        r = post(f"{gw.url}/v1/responses", {"model": "gemini-2.5-flash", "input": "x"}, key=key)
        assert r.status == 401 and r.json()["error"]["code"] == "invalid_api_key"
    assert get(f"{gw.url}/v1/responses/resp_x").status == 401


@pytest.mark.parametrize(("status", "code"), [(500, "server_error"), (429, "rate_limit_exceeded"), (400, "invalid_prompt")])
def test_failure_mid_stream_is_response_failed(gw, status, code):
    r = responses(gw, {"model": "gemini-2.5-flash", "stream": True,
                       "input": f"one two three four five six seven\nFAIL-AFTER 1 {status}"})
    assert r.status == 200
    events = r.sse()
    assert events[0]["type"] == "response.created" and events[-1]["type"] == "response.failed", events
    assert events[-1]["response"]["status"] == "failed" and events[-1]["response"]["error"]["code"] == code
    assert [e["sequence_number"] for e in events] == list(range(len(events)))


def test_failure_before_the_stream_is_an_http_error(gw):
    r = responses(gw, {"model": "gemini-2.5-flash", "stream": True, "input": "x\nFAIL 400"})
    assert r.status == 400 and r.json()["error"]["type"] == "invalid_request_error"


def test_silence_gets_keepalive_comments(gw):
    r = responses(gw, {"model": "gemini-2.5-flash", "stream": True, "input": "slow answer here\nSLOW 2.5"})
    assert r.status == 200 and r.body.startswith(b": keepalive\n\n")
    assert r.sse()[-1]["type"] == "response.completed"


def test_malformed_call_is_retried(gw):
    r = responses(gw, {"model": "gemini-3-pro-preview", "tools": [FN], "stream": True,
                       "input": 'CALL get_weather {"city": "Bern"}\nMALFORMED-ONCE'})
    events = r.sse()
    assert events[-1]["type"] == "response.completed", events[-1]
    assert any(i["type"] == "function_call" for i in events[-1]["response"]["output"])


@pytest.mark.parametrize("directive", ["MALFORMED", "EMPTY"])
@pytest.mark.parametrize("stream", [False, True])
def test_no_answer_is_a_clean_error_never_an_empty_200(gw, directive, stream):
    r = responses(gw, {"model": "gemini-3-pro-preview", "tools": [FN], "stream": stream, "input": f"x\n{directive}"})
    if r.status == 200:  # committed before the failure was known: the stream says it
        events = r.sse()
        assert events[-1]["type"] == "response.failed" and events[-1]["response"]["error"]["code"] == "server_error"
    else:
        assert r.status >= 500 and r.json()["error"]["type"] == "server_error", r.text


def test_streamed_response_is_stored_before_it_completes(gw):
    events = responses(gw, {"model": "gemini-2.5-flash", "stream": True, "input": "streamed and kept"}).sse()
    final = events[-1]["response"]
    got = get(f"{gw.url}/v1/responses/{final['id']}", key=gw.key)
    assert got.status == 200 and got.json() == final


def test_stored_responses_are_the_callers_own(make_gateway):
    """Another client key can neither read, continue nor delete a stored response (found attacking issue 10:
    any key could read another's conversation through GET or previous_response_id)."""
    other = "another-client-key"
    gw = make_gateway(client_keys=[CLIENT_KEY, other])
    first = responses(gw, {"model": "gemini-2.5-flash", "input": "my secret is owner-only-1"}).json()
    url = f"{gw.url}/v1/responses/{first['id']}"
    for method in ("GET", "DELETE"):
        seen = request(method, url, key=other)
        assert seen.status == 404 and "owner-only-1" not in seen.text
    cont = post(f"{gw.url}/v1/responses", {"model": "gemini-2.5-flash", "input": "x", "previous_response_id": first["id"]},
                key=other)
    assert cont.status == 400 and cont.json()["error"]["code"] == "previous_response_not_found"
    assert get(url, key=gw.key).json() == first  # still there for its owner


def test_thought_signatures_are_the_callers_own(make_gateway, fake_api):
    """A client replaying another client's call id (without its encrypted_content) gets the skip sentinel, not
    the signature the other conversation kept by that id (found attacking issue 10)."""
    other = "another-client-key"
    gw = make_gateway(client_keys=[CLIENT_KEY, other])
    first = responses(gw, {"model": "gemini-3-pro-preview", "tools": [FN], "store": False,
                           "input": 'CALL get_weather {"city": "Rome"}\nsig-owner-1'}).json()
    call = next(i for i in first["output"] if i["type"] == "function_call")
    replay = {"model": "gemini-3-pro-preview", "tools": [FN], "store": False, "input": [
        {"role": "user", "content": 'CALL get_weather {"city": "Rome"}\nsig-owner-1'},
        {k: call[k] for k in ("type", "call_id", "name", "arguments")},
        {"type": "function_call_output", "call_id": call["call_id"], "output": "warm sig-owner-2"}]}
    for key, own in ((other, False), (gw.key, True)):
        assert post(f"{gw.url}/v1/responses", replay, key=key).status == 200
        sent = upstream_body(fake_api, "sig-owner-2")["contents"][1]["parts"]
        signature = next(p for p in sent if "functionCall" in p)["thoughtSignature"]
        assert (signature != "skip_thought_signature_validator") is own

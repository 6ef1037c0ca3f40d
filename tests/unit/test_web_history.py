"""The gemini-web history key: the same conversation replayed by different dialects hashes alike; another
conversation (a changed word, file, system instruction or call) does not."""

from __future__ import annotations

import base64

from gemgate.upstreams.web.conversations import Thread, Threads
from gemgate.upstreams.web.history import answered_key, prior_key


def user(*parts):
    return {"role": "user", "parts": list(parts)}


def model(*parts):
    return {"role": "model", "parts": list(parts)}


FIRST = {"systemInstruction": {"parts": [{"text": "Be brief."}]}, "contents": [user({"text": "name a colour"})]}
KEY = answered_key(FIRST, [{"text": "echo: name"}, {"text": " a colour"}])


def follow(*answer_parts, system="Be brief.", question="name a colour"):
    return {"systemInstruction": {"parts": [{"text": system}]},
            "contents": [user({"text": question}), model(*answer_parts), user({"text": "another"})]}


def test_replays_of_one_answer_hash_alike():
    same = [
        follow({"text": "echo: name a colour"}),
        follow({"text": "Thinking it over", "thought": True}, {"text": "echo: name a colour", "thoughtSignature": "c2ln"}),
        follow({"text": "<think>Thinking it over</think>\n\necho: name a colour\n"}),
        follow({"text": "echo:"}, {"text": " name a colour"}),
        follow({"text": "  echo:  name\na colour  "}, system="Be brief.\n"),
    ]
    for request in same:
        assert prior_key(request) == KEY, request


def test_another_conversation_hashes_differently():
    for request in (follow({"text": "echo: name a color"}), follow({"text": "echo: name a colour"}, system="Be long."),
                    follow({"text": "echo: name a colour"}, question="name a shape")):
        assert prior_key(request) != KEY


def test_files_and_calls_are_part_of_the_key():
    png = base64.b64encode(b"\x89PNG one").decode()
    other = base64.b64encode(b"\x89PNG two").decode()
    with_file = {"contents": [user({"text": "see"}, {"inlineData": {"mimeType": "image/png", "data": png}})]}
    key = answered_key(with_file, [{"text": "ok"}])
    again = {"contents": [*with_file["contents"], model({"text": "ok"}), user({"text": "more"})]}
    assert prior_key(again) == key
    again["contents"][0]["parts"][1]["inlineData"]["data"] = other
    assert prior_key(again) != key
    call = {"contents": [user({"text": "go"}), model({"functionCall": {"name": "f", "args": {"b": 1, "a": 2}, "id": "x"}})]}
    reordered = {"contents": [user({"text": "go"}), model({"functionCall": {"name": "f", "args": {"a": 2, "b": 1}}}),
                              user({"text": "next"})]}
    assert prior_key({**call, "contents": [*call["contents"], user({"text": "next"})]}) == prior_key(reordered)


def test_only_a_user_turn_after_an_answer_has_a_prior_key():
    assert prior_key(FIRST) is None
    assert prior_key({"contents": [user({"text": "a"}), model({"text": "b"})]}) is None


async def test_threads_are_kept_and_found_by_key():
    threads = Threads(60)
    thread = Thread("acc", "c_1", "r_1", "rc_1", "ctx", "fbb127bbb056c959")
    await threads.remember(KEY, thread, "owner-a")
    assert await threads.find(KEY, "owner-a") == thread
    assert await threads.find("other", "owner-a") is None and await threads.find(None, "owner-a") is None
    assert await threads.find(KEY, "owner-b") is None and await threads.find(KEY, "") is None  # each client's own
    assert thread.metadata() == ["c_1", "r_1", "rc_1", None, None, None, None, None, None, "ctx"]

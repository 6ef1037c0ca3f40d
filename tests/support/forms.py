"""One prompt sent in each client form the gateway serves (OpenAI chat and Gemini-native, streamed and not),
and the error shape each form must answer with."""

from __future__ import annotations

from .http import Reply, post

MODEL = "gemini-2.5-flash"
FORMS = ["openai", "openai-stream", "gemini", "gemini-sse"]


def send(server, form: str, text: str, model: str = MODEL) -> Reply:
    """POST `text` as one user turn to `server` (a GatewayThread) in `form`."""
    if form.startswith("openai"):
        body = {"model": model, "messages": [{"role": "user", "content": text}], "stream": form.endswith("stream")}
        return post(f"{server.url}/v1/chat/completions", body, key=server.key)
    action = "streamGenerateContent?alt=sse" if form == "gemini-sse" else "generateContent"
    body = {"contents": [{"role": "user", "parts": [{"text": text}]}]}
    return post(f"{server.url}/v1beta/models/{model}:{action}", body, key=server.key)


def check_error(reply: Reply, form: str, status: int) -> dict:
    """The `error` object of `reply`, asserted to have `status` and the form's own error shape (OpenAI's four
    fields, model_not_found on a 404 about the model; google.rpc.Status's code, message, status)."""
    assert reply.status == status, reply.text
    error = reply.json()["error"]
    if form.startswith("openai"):
        assert set(error) == {"message", "type", "param", "code"}
        if status == 404 and error["param"] == "model":
            assert error["code"] == "model_not_found"
        if status == 429:
            assert error["type"] == "rate_limit_error"
    else:
        assert {"code", "message", "status"} <= set(error) <= {"code", "message", "status", "details"}
        assert error["code"] == status
    assert "cooling" not in error["message"] or status == 429
    return error

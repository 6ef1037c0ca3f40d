"""The OpenAI Node SDK (from npm, unmodified) run as a subprocess: stream helper + tools + runTools."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.support.processes import NODE_DIR, base_env, require_node_modules, run_process
from tests.support.upstream import upstream_body

pytestmark = pytest.mark.clients

SCRIPT = NODE_DIR / "openai_stream_tools.mjs"


@pytest.mark.parametrize("model", ["gemini-2.5-flash", "gemini-3-pro-preview"])
def test_node_stream_helper_with_tools(gw, fake_api, tmp_path, model):
    require_node_modules("openai")
    marker = f"marker-node-{model}"
    env = base_env(tmp_path / "home", GW_URL=gw.url, GW_KEY=gw.key, MODEL=model, MARKER=marker)
    done = run_process([shutil.which("node"), str(SCRIPT)], env=env, cwd=NODE_DIR, timeout=60)
    assert done.returncode == 0, done.describe()
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["sdkVersion"].split(".")[0] == "7", report

    first = report["first"]
    assert first["role"] == "assistant" and first["finish_reason"] == "tool_calls", report
    (call,) = first["tool_calls"]
    assert call["type"] == "function" and call["id"]
    assert call["function"]["name"] == "get_weather"
    assert json.loads(call["function"]["arguments"]) == {"city": "Paris"}
    assert first["events"].get("tool_calls.function.arguments.done") == 1

    second = report["second"]
    assert second["finish_reason"] == "stop"
    assert second["content"] == f"tool result: sunny {marker}"
    assert second["events"].get("content.delta", 0) >= 2  # streamed in pieces

    runner = report["runner"]
    assert runner["calls"] == [{"city": "Rome"}]
    assert runner["content"] == f"tool result: cloudy in Rome {marker}-runner"
    assert runner["messages"] == 4  # user, assistant(tool_calls), tool, assistant

    if model.startswith("gemini-3"):
        # The Node client cannot carry signatures: the gateway must have replayed the real one.
        part = upstream_body(fake_api, f"sunny {marker}")["contents"][1]["parts"][0]
        assert part.get("thoughtSignature") not in (None, "", "skip_thought_signature_validator")

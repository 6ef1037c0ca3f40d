"""Deep research read from the recorded step-1 answer (the plan in rich-content field 55) and from hNvQHb turns
(the report at cand[30][0][4]); the fake refuses a deep-research turn without 2.1.1's slots."""

from __future__ import annotations

from gemgate.testing.web_research import refusal
from gemgate.upstreams.web.candidate import read_candidate
from gemgate.upstreams.web.framing import read_frames
from gemgate.upstreams.web.payload import payload_of, wrb_parts
from gemgate.upstreams.web.protocol import deep_research, inner_request
from gemgate.upstreams.web.research import plan_of, report_of
from tests.support.fixtures import web_capture

STEP1 = "Leechael__gemini-web-cli__internal_client_testdata_stream_research_step1_response.json"


def test_the_plan_of_the_recorded_answer():
    body = web_capture(STEP1)
    plans = [read_candidate(payload_of(part)[4][0]).plan for frame in read_frames(body) for part in wrb_parts(frame)
             if isinstance(payload_of(part), list) and len(payload_of(part)) > 4 and payload_of(part)[4]]
    plan = plan_of(plans[-1])
    assert plan["title"] == "RCU、双缓冲、版本化快照发布" and plan["confirmPrompt"] == "开始研究"
    assert [s["label"] for s in plan["steps"]] == ["研究网站", "分析结果", "生成报告"]
    assert plan["steps"][0]["body"].startswith("(1)") and plan["steps"][1]["body"] is None
    assert plan["eta"] == "只需要几分钟就可以准备好"


def test_the_report_is_done_once_its_body_is_there():
    def turn(document):
        cand = ["rc_1", ["text"]] + [None] * 28 + [document]
        return [[[["c_1", "r_1"], None, [["Start research"]], [[cand]], [1, 0]]]]

    assert report_of(turn(None))["status"] == "running"
    assert report_of(turn([["d", None, "Title", "agency-placeholder-task-id", ""]]))["status"] == "running"
    assert report_of(turn([["d", None, "Title", "t", "# Body"]])) == {"status": "done", "title": "Title", "report": "# Body"}
    assert report_of([[]])["status"] == "running"


def test_the_deep_research_slots_are_what_the_fake_demands():
    inner = inner_request("plan this", "en", "UUID", 1, 1, False)
    inner[49] = 1
    assert refusal(inner)
    deep_research(inner)
    assert refusal(inner) is None and len(inner[3]) > 2600

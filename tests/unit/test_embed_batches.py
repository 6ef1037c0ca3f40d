"""The gemini-api upstream joins the answers to a batch it had to split (Google: at most 100 requests a batch)."""

from __future__ import annotations

import pytest

from gemgate.errors import Failure, UpstreamError
from gemgate.upstreams.gemini_api import MAX_BATCH_EMBED_REQUESTS, join_embed_batches


def vectors(*values: float) -> list[dict]:
    return [{"values": [v]} for v in values]


def test_the_limit_is_googles():
    # "* BatchEmbedContentsRequest.requests: at most 100 requests can be in one batch" (langchain-ai/langchainjs#4491)
    assert MAX_BATCH_EMBED_REQUESTS == 100


def test_embeddings_in_request_order_and_usage_summed_once_per_input():
    joined = join_embed_batches([
        (2, {"embeddings": vectors(1, 2), "usageMetadata": {"promptTokenCount": 5, "x": "a"}, "modelVersion": "m1"}),
        (1, {"embeddings": vectors(3), "usageMetadata": {"promptTokenCount": 2}, "modelVersion": "m2"}),
    ])
    assert joined == {"embeddings": vectors(1, 2, 3), "usageMetadata": {"promptTokenCount": 7, "x": "a"},
                      "modelVersion": "m1"}


def test_no_usage_when_no_slice_has_any():
    assert join_embed_batches([(1, {"embeddings": vectors(1)}), (1, {"embeddings": vectors(2)})]) == {
        "embeddings": vectors(1, 2)}


@pytest.mark.parametrize("answer", [{"embeddings": vectors(1)}, {}, {"embeddings": None}])
def test_a_slice_with_the_wrong_number_of_embeddings_is_malformed(answer):
    with pytest.raises(UpstreamError) as err:
        join_embed_batches([(2, {"embeddings": vectors(1, 2)}), (2, answer)])
    assert err.value.failure is Failure.MALFORMED and "for 2 requests" in err.value.message

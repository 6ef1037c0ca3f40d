"""Model catalogue of the fake Gemini API (values as Google lists them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

GENERATION_METHODS = ("generateContent", "countTokens", "createCachedContent", "batchGenerateContent")
EMBEDDING_METHODS = ("embedContent", "countTextTokens", "countTokens", "asyncBatchEmbedContent")


@dataclass(frozen=True)
class ModelInfo:
    id: str
    display_name: str
    description: str = ""
    version: str = "001"
    input_token_limit: int = 1048576
    output_token_limit: int = 65536
    methods: tuple[str, ...] = GENERATION_METHODS
    thinking: bool = True
    temperature: float | None = 1
    max_temperature: float | None = 2
    top_p: float | None = 0.95
    top_k: int | None = 64

    def supports(self, method: str) -> bool:
        # Google serves batchEmbedContents for every embedContent model without listing it.
        if method == "batchEmbedContents":
            method = "embedContent"
        if method == "streamGenerateContent":
            method = "generateContent"
        return method in self.methods

    def resource(self) -> dict[str, Any]:
        res: dict[str, Any] = {
            "name": f"models/{self.id}",
            "version": self.version,
            "displayName": self.display_name,
            "description": self.description,
            "inputTokenLimit": self.input_token_limit,
            "outputTokenLimit": self.output_token_limit,
            "supportedGenerationMethods": list(self.methods),
        }
        for key, value in (("temperature", self.temperature), ("topP", self.top_p),
                           ("topK", self.top_k), ("maxTemperature", self.max_temperature)):
            if value is not None:
                res[key] = value
        if self.thinking:
            res["thinking"] = True  # proto3 JSON omits false booleans
        return res


DEFAULT_MODELS: tuple[ModelInfo, ...] = (
    ModelInfo("gemini-2.5-pro", "Gemini 2.5 Pro", "Stable release (June 17th, 2025) of Gemini 2.5 Pro", "2.5"),
    ModelInfo("gemini-2.5-flash", "Gemini 2.5 Flash",
              "Stable version of Gemini 2.5 Flash, our mid-size multimodal model that supports up to "
              "1 million tokens, released in June of 2025.", "001"),
    ModelInfo("gemini-2.5-flash-lite", "Gemini 2.5 Flash-Lite",
              "Stable version of Gemini 2.5 Flash-Lite, released in July of 2025", "001"),
    ModelInfo("gemini-3-pro-preview", "Gemini 3 Pro Preview", "Gemini 3 Pro Preview", "3-pro-preview-11-2025"),
    ModelInfo("gemini-3-flash-preview", "Gemini 3 Flash Preview", "Gemini 3 Flash Preview",
              "3-flash-preview-12-2025"),
    ModelInfo("gemini-2.0-flash", "Gemini 2.0 Flash", "Gemini 2.0 Flash", "2.0",
              output_token_limit=8192, thinking=False, top_k=40),
    ModelInfo("gemini-embedding-001", "Gemini Embedding 001", "Obtain a distributed representation of a text.",
              "001", input_token_limit=2048, output_token_limit=1, methods=EMBEDDING_METHODS,
              thinking=False, temperature=None, max_temperature=None, top_p=None, top_k=None),
)


def model_info(entry: "ModelInfo | str | dict[str, Any]") -> ModelInfo:
    """Accept a ModelInfo, a bare id (known ids keep their catalogue entry) or a dict of fields."""
    if isinstance(entry, ModelInfo):
        return entry
    if isinstance(entry, str):
        mid = entry.removeprefix("models/")
        known = {m.id: m for m in DEFAULT_MODELS}
        return known.get(mid) or ModelInfo(mid, mid, thinking=mid.startswith(("gemini-2.5", "gemini-3")))
    fields = dict(entry)
    fields["id"] = str(fields["id"]).removeprefix("models/")
    fields.setdefault("display_name", fields["id"])
    if "methods" in fields:
        fields["methods"] = tuple(fields["methods"])
    return ModelInfo(**fields)

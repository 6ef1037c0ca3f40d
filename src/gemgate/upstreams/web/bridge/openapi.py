"""The OpenAPI 3.1 description of the bridge API (served at `/api/openapi.json`), written from the handlers'
own contracts (`chat`, `reply`, `account`, `envelope`)."""

from __future__ import annotations

from .envelope import CODES

_KEY = {"bridgeKey": []}
_COOKIES = [
    {"name": "x-gemini-psid", "in": "header", "required": False, "schema": {"type": "string"},
     "description": "__Secure-1PSID of a browser signed in to gemini.google.com; used for this request only, "
                    "never stored. Without it a gemini-web account of the gateway's pool serves."},
    {"name": "x-gemini-psidts", "in": "header", "required": False, "schema": {"type": "string"},
     "description": "__Secure-1PSIDTS, beside x-gemini-psid."},
]
_ERROR = {
    "type": "object", "required": ["success", "error", "requestId", "timestamp"],
    "properties": {
        "success": {"const": False},
        "error": {"type": "object", "required": ["code", "message"],
                  "properties": {"code": {"enum": list(CODES)}, "message": {"type": "string"}}},
        "requestId": {"type": "string", "format": "uuid"}, "timestamp": {"type": "string", "format": "date-time"},
    },
}


def _envelope(data: dict) -> dict:
    return {"type": "object", "required": ["success", "data", "requestId", "timestamp"], "properties": {
        "success": {"const": True}, "data": data, "requestId": {"type": "string", "format": "uuid"},
        "timestamp": {"type": "string", "format": "date-time"}}}


def _responses(data: dict, stream: bool = False) -> dict:
    content = {"application/json": {"schema": {"$ref": f"#/components/schemas/{data}"}}}
    if stream:
        content["text/event-stream"] = {"schema": {"type": "string", "description": (
            "SSE: data: {\"type\": \"thought\"|\"text\", \"text\"} deltas, then {\"type\": \"done\", …the success "
            "envelope} or {\"type\": \"error\", …the error envelope}")}}
    out = {"200": {"description": "success", "content": content}}
    for status in sorted(set(CODES.values())):
        codes = ", ".join(c for c, s in CODES.items() if s == status)
        out[str(status)] = {"description": codes, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    return out


def _op(summary: str, data: str, params: list | None = None, body: dict | None = None, stream: bool = False) -> dict:
    op = {"summary": summary, "security": [_KEY], "parameters": [*_COOKIES, *(params or [])],
          "responses": _responses(data, stream)}
    if body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    return op


_GEM_ID = {"name": "gem", "in": "path", "required": True, "schema": {"type": "string"}}
_CID = {"name": "cid", "in": "path", "required": True, "schema": {"type": "string", "pattern": "^c_"}}
_STR = {"type": "string"}
_CONVERSATION = {"type": ["object", "null"], "properties": {
    "id": _STR, "responseId": _STR, "choiceId": _STR, "context": _STR}, "required": ["id"]}
CHAT_BODY = {
    "type": "object", "required": ["prompt"], "additionalProperties": False,
    "properties": {
        "prompt": {"type": "string", "minLength": 1}, "model": {"type": "string", "default": "auto",
                                                                "description": "a gemini-web id or alias (GET /api/models)"},
        "temporary": {"type": "boolean"}, "extended_thinking": {"type": "boolean"}, "gem": {"type": "string"},
        "files": {"type": "array", "items": {"type": "object", "required": ["data", "mimeType"], "properties": {
            "data": {"type": "string", "contentEncoding": "base64"}, "mimeType": _STR, "name": _STR}}},
        "conversation": _CONVERSATION, "stream": {"type": "boolean", "default": False},
        "deep_research": {"type": "boolean", "description": "a deep-research turn: the first answers data.plan; "
                                                             "its confirmPrompt in the same conversation starts it"},
    },
}


_GEM = {"type": "object", "properties": {"id": _STR, "name": _STR, "description": _STR,
                                        "prompt": {"type": ["string", "null"]}, "predefined": {"type": "boolean"}}}
GEM_BODY = {"type": "object", "required": ["name", "prompt"], "additionalProperties": False,
            "properties": {"name": _STR, "description": _STR, "prompt": _STR}}


def document() -> dict:
    """The OpenAPI document."""
    schemas = {
        "Error": _ERROR,
        "Chat": _envelope({"type": "object", "properties": {
            "text": _STR, "thoughts": {"type": ["string", "null"]}, "model": _STR, "modelName": {"type": ["string", "null"]},
            "images": {"type": "array", "items": {"type": "object", "properties": {"url": _STR, "alt": _STR}}},
            "conversation": _CONVERSATION, "temporary": {"type": ["boolean", "null"]},
            "plan": {"type": ["object", "null"], "properties": {
                "title": _STR, "eta": {"type": ["string", "null"]}, "confirmPrompt": {"type": ["string", "null"]},
                "steps": {"type": "array", "items": {"type": "object", "properties": {
                    "label": _STR, "body": {"type": ["string", "null"]}}}}}}}}),
        "Research": _envelope({"type": "object", "properties": {
            "id": _STR, "status": {"enum": ["running", "done"]}, "title": {"type": ["string", "null"]},
            "report": {"type": ["string", "null"]}}}),
        "Models": _envelope({"type": "object", "properties": {"models": {"type": "array", "items": {
            "type": "object", "properties": {"id": _STR, "displayName": _STR, "description": _STR}}}}}),
        "Quota": _envelope({"type": "object", "properties": {
            "tier": _STR, "overage": {"type": "boolean"}, "limits": {"type": "array", "items": {"type": "object", "properties": {
                "window": {"enum": ["5h", "weekly", "ai_credits"]}, "remaining": {"type": "number"},
                "usedFraction": {"type": "number"}, "resetsAt": {"type": ["string", "null"], "format": "date-time"}}}}}}),
        "History": _envelope({"type": "object", "properties": {"conversations": {"type": "array", "items": {
            "type": "object", "properties": {"id": _STR, "title": _STR, "pinned": {"type": "boolean"},
                                             "updatedAt": {"type": ["string", "null"]}}}}}}),
        "Conversation": _envelope({"type": "object", "properties": {"id": _STR, "turns": {"type": "array", "items": {
            "type": "object", "properties": {"responseId": _STR, "prompt": _STR, "choiceId": _STR, "text": _STR,
                                             "createdAt": {"type": ["string", "null"]}}}}}}),
        "Deleted": _envelope({"type": "object", "properties": {"id": _STR, "deleted": {"const": True}}}),
        "Gem": _envelope(_GEM),
        "Gems": _envelope({"type": "object", "properties": {"gems": {"type": "array", "items": _GEM}}}),
    }
    hidden = {"name": "hidden", "in": "query", "required": False, "schema": {"type": "boolean"}}
    limit = {"name": "limit", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1, "maximum": 100}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "gemgate bridge API", "version": "1",
                 "description": "The Gemini web app as a REST API: gemgate's stand-in for the REST bridge it replaces."},
        "components": {"securitySchemes": {"bridgeKey": {"type": "apiKey", "in": "header", "name": "x-bridge-api-key"}},
                       "schemas": schemas},
        "paths": {
            "/api/chat": {"post": _op("Send one prompt (optionally continuing a conversation)", "Chat", body=CHAT_BODY,
                                      stream=True)},
            "/api/models": {"get": _op("The models of the credentials", "Models")},
            "/api/quota": {"get": _op("Usage and limits", "Quota")},
            "/api/history": {"get": _op("Saved conversations", "History")},
            "/api/history/{cid}": {"get": _op("One conversation's turns", "Conversation", [_CID, limit]),
                                   "delete": _op("Delete a conversation", "Deleted", [_CID])},
            "/api/research/{cid}": {"get": _op("A deep research's state and report", "Research", [_CID])},
            "/api/gems": {"get": _op("Predefined and custom gems", "Gems", [hidden]),
                          "post": _op("Create a gem", "Gem", body=GEM_BODY)},
            "/api/gems/{gem}": {"put": _op("Update a custom gem", "Gem", [_GEM_ID], body=GEM_BODY),
                                "delete": _op("Delete a custom gem", "Deleted", [_GEM_ID])},
        },
    }

"""The bridge API (issue 9, "The bridge API"): the Gemini web app as a small REST API under `/api/`, for users of
the REST bridge this project replaces. Routes of the gemini-web kind (`GeminiWeb.routes`): `POST /api/chat`
(through the gateway's pipeline), `GET /api/models`, `GET /api/quota`, `GET|DELETE /api/history[/{cid}]`,
`GET|POST /api/gems` and `PUT|DELETE /api/gems/{gem}`, `GET /api/research/{cid}` (deep research: started by chat
turns with `deep_research`), the
OpenAPI description `GET /api/openapi.json` and an offline playground page `GET /api/playground`.

Every call but the last two is authenticated by `x-bridge-api-key` (a gemgate client key) and served with the
per-request cookies (`x-gemini-psid`, `x-gemini-psidts`) when sent, else by the pool's gemini-web accounts
(`access`). Answers come in the bridge's envelopes with its error codes (`envelope`).
"""

from __future__ import annotations

from importlib.resources import files

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from ....http.body import json_response
from . import account, gems
from .access import Endpoint
from .chat import chat
from .openapi import document

PREFIX = "/api/"


async def openapi(request: Request) -> Response:
    """The OpenAPI description of the bridge endpoints."""
    return json_response(document())


# The page is served without a key and holds none; the key a user types must still go nowhere but this gateway,
# and the page must not be framed by another site that could steer the user's clicks (CSP Level 3
# connect-src, form-action, base-uri, frame-ancestors; its inline script and style stay allowed).
PLAYGROUND_POLICY = "connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'"


async def playground(request: Request) -> Response:
    """The playground page (its script and style inline: no CDN, works offline), under PLAYGROUND_POLICY."""
    return HTMLResponse((files(__package__) / "static" / "playground.html").read_text(encoding="utf-8"),
                        headers={"Content-Security-Policy": PLAYGROUND_POLICY, "Referrer-Policy": "no-referrer"})


def routes() -> tuple[list, frozenset[str]]:
    """The bridge's starlette routes, and the open prefix: the bridge authenticates its callers itself
    (`x-bridge-api-key`), and its description and playground need no key."""
    return [
        Route("/api/chat", Endpoint(chat), methods=["POST"]),
        Route("/api/models", Endpoint(account.models), methods=["GET"]),
        Route("/api/quota", Endpoint(account.quota), methods=["GET"]),
        Route("/api/history", Endpoint(account.history), methods=["GET"]),
        Route("/api/history/{cid}", Endpoint(account.conversation), methods=["GET"]),
        Route("/api/history/{cid}", Endpoint(account.delete), methods=["DELETE"]),
        Route("/api/research/{cid}", Endpoint(account.research), methods=["GET"]),
        Route("/api/gems", Endpoint(gems.list_gems), methods=["GET"]),
        Route("/api/gems", Endpoint(gems.create_gem), methods=["POST"]),
        Route("/api/gems/{gem}", Endpoint(gems.update_gem), methods=["PUT"]),
        Route("/api/gems/{gem}", Endpoint(gems.delete_gem), methods=["DELETE"]),
        Route("/api/openapi.json", openapi, methods=["GET"]),
        Route("/api/playground", playground, methods=["GET"]),
    ], frozenset({PREFIX})

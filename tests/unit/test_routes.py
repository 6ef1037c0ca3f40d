"""Routes come from the dialect registry: shared paths answer together, `when` takes a request alone,
and errors outside any handler get the shape of the dialect the path belongs to."""

from __future__ import annotations

from types import SimpleNamespace

from starlette.applications import Starlette
from starlette.testclient import TestClient

from gemgate.app import Routes
from gemgate.catalog import Catalog
from gemgate.dialects import DIALECTS
from gemgate.dialects.base import Dialect, Endpoint
from gemgate.errors import GatewayError
from gemgate.outcome import Outcomes


class Toy(Dialect):
    """A dialect as a later issue adds one: its own listing shape, chosen by a header."""

    name = "toy"
    prefixes = ("/toy/",)

    @property
    def endpoints(self):
        return (Endpoint("/v1/models", ("GET",), listing="list", when=lambda h: "toy-version" in h),)

    def error_body(self, err: GatewayError) -> dict:
        return {"type": "error", "error": {"kind": "toy", "text": err.message}}

    def list_models(self, entries, next_page):
        return {"toys": [listed for listed, _ in entries]}


def client(dialects) -> TestClient:
    routes = Routes(dialects)
    app = Starlette(routes=routes.routes)
    catalog = Catalog(kinds=("gemini-api",))
    catalog.replace({"gemini-api": {"gemini-2.5-flash": {"name": "models/gemini-2.5-flash"}}})
    app.state.gateway = SimpleNamespace(catalog=catalog, outcomes=Outcomes())  # refusals are booked
    return TestClient(app)


def test_a_shared_listing_merges_every_dialects_body():
    body = client(DIALECTS).get("/v1/models").json()
    assert body["object"] == "list" and body["data"][0]["id"] == "gemini-2.5-flash"  # OpenAI
    assert body["models"][0]["name"] == "models/gemini-2.5-flash"  # Gemini


def test_a_dialect_with_when_takes_the_request_alone():
    c = client((*DIALECTS, Toy()))
    assert c.get("/v1/models", headers={"toy-version": "1"}).json() == {"toys": ["gemini-2.5-flash", "gemini-api/gemini-2.5-flash"]}
    assert "models" in c.get("/v1/models").json()


def test_error_shapes_follow_the_path():
    routes = Routes((*DIALECTS, Toy()))

    def shape(path, method="GET"):
        scope = {"type": "http", "path": path, "method": method, "headers": []}
        return routes.shape_for(scope).body(GatewayError(401, "no"))["error"]

    assert set(shape("/v1/chat/completions", "POST")) == {"message", "type", "param", "code"}  # OpenAI
    assert shape("/v1beta/models/x:generateContent", "POST")["status"] == "UNAUTHENTICATED"  # Gemini
    assert shape("/v1/models/gemini-2.5-flash:generateContent", "POST")["status"] == "UNAUTHENTICATED"
    merged = shape("/v1/models")
    assert merged["status"] == "UNAUTHENTICATED" and merged["type"] == "invalid_request_error"  # both accept it
    assert shape("/v1beta/nothing/here")["status"] == "UNAUTHENTICATED"  # unmatched: by prefix
    assert shape("/toy/anything") == {"kind": "toy", "text": "no"}
    assert set(shape("/elsewhere")) == {"message", "type", "param", "code"}  # the first dialect


def test_unknown_model_in_a_listing_is_a_404_in_the_route_shape():
    r = client(DIALECTS).get("/v1beta/models/gemini-9")
    assert r.status_code == 404 and r.json()["error"]["status"] == "NOT_FOUND"

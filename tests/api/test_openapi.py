"""The OpenAPI description: every JSON route says what its answer looks like."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref is None:
        return schema
    node: Any = spec
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return _resolve(spec, node)


def test_every_json_route_has_a_response_schema(api: Api) -> None:
    spec = api.get("/api/v1/openapi.json").json()
    checked = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            success = [
                operation["responses"][c] for c in ("200", "201") if c in operation["responses"]
            ]
            assert success, f"{method.upper()} {path}: no 200/201 response"
            content = success[0].get("content", {})
            if "application/json" not in content:
                assert content, f"{method.upper()} {path}: no content type"
                continue  # a file download, not JSON
            schema = content["application/json"].get("schema") or {}
            variants = schema.get("anyOf") or [schema]
            for variant in variants:
                resolved = _resolve(spec, variant)
                assert resolved.get("properties") or resolved.get("items"), (
                    f"{method.upper()} {path}: empty response schema {variant}"
                )
            checked.append(f"{method.upper()} {path}")
    # Every resource is described, not just a few routes.
    for route in (
        "GET /api/v1/agreements",
        "GET /api/v1/incidents/{pk}",
        "POST /api/v1/incidents",
        "GET /api/v1/findings",
        "POST /api/v1/allegations",
        "POST /api/v1/allegations/{allegation_id}/publish",
        "GET /api/v1/rulings",
        "GET /api/v1/ledger",
        "GET /api/v1/map/incidents",
        "GET /api/v1/compliance",
        "GET /api/v1/health",
    ):
        assert route in checked


def test_answers_match_their_schemas(api: Api) -> None:
    """The documented fields are the ones sent (a model that drifted would hide a field)."""
    spec = api.get("/api/v1/openapi.json").json()
    schemas = spec["components"]["schemas"]
    incident = api.get("/api/v1/incidents/1").json()
    assert set(schemas["IncidentDetail"]["properties"]) == set(incident)
    agreement = api.get("/api/v1/agreements/quiet").json()
    assert set(agreement) <= set(schemas["Agreement"]["properties"])
    found = api.get("/api/v1/findings", params={"agreement": "quiet"}).json()["items"]
    assert found and set(schemas["Finding"]["properties"]) == set(found[0])
    health = api.get("/api/v1/health").json()
    assert set(schemas["Health"]["properties"]) == set(health) and health["status"] == "ok"

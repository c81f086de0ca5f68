"""The OpenAPI document at /schema describes every route, with the error shape for its failures."""


def test_openapi_lists_every_api_route_with_error_shapes(client):
    response = client.get("/schema/openapi.json")
    assert response.status_code == 200
    document = response.json()
    paths = document["paths"]
    for path in ("/api/v1/annotate", "/api/v1/workers", "/api/v1/reviews", "/api/v1/reviews/{review_id}",
                 "/api/v1/timings", "/api/v1/me/filters", "/api/v1/requesters", "/api/v1/me/tokens"):
        assert path in paths, path
    for path, operations in paths.items():
        if not path.startswith("/api/v1/"):
            continue
        for method, operation in operations.items():
            errors = {code: spec for code, spec in operation["responses"].items() if code.startswith("4")}
            assert errors, f"{method.upper()} {path} documents no error response"
            # any request can be shed at once under load (server/loadshed.py): the document says so
            assert "503" in operation["responses"], f"{method.upper()} {path} does not document 503 overloaded"
            for spec in errors.values():
                schema = spec["content"]["application/json"]["schema"]
                assert schema.get("$ref", "").endswith("/ErrorBody"), (method, path, spec)
    assert set(document["components"]["schemas"]["ErrorBody"]["required"]) == {"status", "code", "message"}


def test_schema_page_is_served(client):
    response = client.get("/schema")
    assert response.status_code == 200
    assert "text/html" in response.headers["content-type"]

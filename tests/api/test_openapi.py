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


def _undescribed(schema: object, where: str) -> list[str]:
    """Properties of `schema` (and of the object schemas nested in it) without a description, as "where.name"."""
    missing: list[str] = []
    if isinstance(schema, dict):
        for name, prop in (schema.get("properties") or {}).items():
            if not (isinstance(prop, dict) and str(prop.get("description") or "").strip()):
                missing.append(f"{where}.{name}")
            missing += _undescribed(prop, f"{where}.{name}")
        for key in ("items", "additionalProperties"):
            missing += _undescribed(schema.get(key), where)
        for key in ("oneOf", "anyOf", "allOf"):
            for part in schema.get(key) or []:
                missing += _undescribed(part, where)
    return missing


def test_every_property_of_every_schema_has_a_description(client):
    """Request and response components, and object schemas written inline in an operation, name what each of
    their fields is (issue 19: `low`, `high`, `p_approved`… had none)."""
    document = client.get("/schema/openapi.json").json()
    missing = []
    for name, schema in document["components"]["schemas"].items():
        missing += _undescribed(schema, name)
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if not isinstance(operation, dict):
                continue
            bodies = [operation.get("requestBody") or {}, *(operation.get("responses") or {}).values()]
            for body in bodies:
                for content in (body.get("content") or {}).values():
                    missing += _undescribed(content.get("schema"), f"{method.upper()} {path}")
    assert document["components"]["schemas"], "no components: the walk would prove nothing"
    assert not missing, f"{len(set(missing))} properties without a description:\n" + "\n".join(sorted(set(missing)))
    # The annotate answer is described whole (issue 19 named low, high, p_approved, median_rate, pooled_rate).
    for name in ("tasks_annotate_HourlyOut", "Annotation", "AnnotateOut", "AnnotateIn", "RequesterSummary", "Verdict"):
        assert name in document["components"]["schemas"], name


def test_the_walk_finds_an_undescribed_property_at_any_depth():
    """The check above proves something only if the walk reaches nested, listed, mapped and united schemas."""
    described = {"type": "integer", "description": "a count"}
    schema = {"properties": {
        "top": {"type": "string"},
        "ok": described,
        "inner": {"description": "an object", "properties": {"deep": {"type": "integer"}, "fine": described}},
        "rows": {"description": "a list", "type": "array", "items": {"properties": {"cell": {"description": " "}}}},
        "map": {"description": "a map", "additionalProperties": {"properties": {"value": {}}}},
        "either": {"description": "a union", "oneOf": [{"properties": {"left": {"type": "null"}}}, {"type": "null"}]},
    }}
    assert sorted(_undescribed(schema, "X")) == ["X.either.left", "X.inner.deep", "X.map.value", "X.rows.cell", "X.top"]


def test_annotate_documents_its_limits(client):
    """The limits msgspec enforces on annotate's body are in the document too (a description beside a limit in
    another Meta used to hide the limit)."""
    schema = client.get("/schema/openapi.json").json()["components"]["schemas"]["AnnotateIn"]["properties"]

    def said(prop: dict, key: str) -> object:
        """`key` of the property, beside its oneOf (where Litestar puts it) or on its non-null part."""
        parts = [prop, *(part for part in prop.get("oneOf", []) if part.get("type") != "null")]
        return next((part[key] for part in parts if key in part), None)

    assert said(schema["tasks"], "maxItems") == 100
    assert said(schema["raw_html"], "maxLength") == 1024 * 1024
    assert "at most 100" in str(said(schema["tasks"], "description"))


def test_fields_of_one_component_type_say_the_same_words(client):
    """Litestar copies the description of the first non-null field of a component's type onto the component, and
    which field comes first differs between processes: two such fields with different words made the document
    differ from one start to the next (tests/fuzz compares two). So every such field says the same words."""
    document = client.get("/schema/openapi.json").json()
    said: dict[str, set[str]] = {}

    def walk(node: object) -> None:
        if isinstance(node, dict):
            refs = [node] + [part for part in node.get("allOf") or [] if isinstance(part, dict)]
            for ref in refs:
                if "$ref" in ref and node.get("description"):
                    said.setdefault(ref["$ref"].rsplit("/", 1)[1], set()).add(node["description"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(document)
    assert said, "no described field of a component's type: the walk would prove nothing"
    assert {name: words for name, words in said.items() if len(words) > 1} == {}

"""The OpenAPI document lists every error status an operation can answer, with the error schema."""

from __future__ import annotations


def test_every_operation_documents_its_errors(client) -> None:  # type: ignore[no-untyped-def]
    document = client.get("/openapi.json").json()
    error = document["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]
    assert "HTTPValidationError" not in document["components"]["schemas"]
    checked = 0
    for path, operations in document["paths"].items():
        if not path.startswith("/v1/"):
            continue
        for method, operation in operations.items():
            expected = {"401", "403", "404", "422", "429"}
            if method in ("post", "put", "patch", "delete"):
                expected |= {"400", "409", "413", "415"}
            responses = operation["responses"]
            assert expected <= set(responses), (method, path, sorted(responses))
            for status in expected:
                content = responses[status]["content"]["application/json"]["schema"]
                assert content == {"$ref": "#/components/schemas/Error"}, (method, path, status)
            assert "Retry-After" in responses["429"]["headers"]
            checked += 1
    assert checked > 25
    assert "204" in document["paths"]["/v1/queues/{team}/next"]["post"]["responses"]
    assert "503" in document["paths"]["/readyz"]["get"]["responses"]


def test_streams_are_documented_as_event_streams(client) -> None:  # type: ignore[no-untyped-def]
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/v1/conversations/{conversation_id}/stream", "/v1/inbox/stream"):
        assert list(paths[path]["get"]["responses"]["200"]["content"]) == ["text/event-stream"], path


def test_a_method_a_path_does_not_take_is_405_with_allow(client) -> None:  # type: ignore[no-untyped-def]
    for method, path, allowed in (("TRACE", "/healthz", {"GET"}), ("DELETE", "/v1/noop", {"GET"})):
        response = client.request(method, path)
        assert (response.status_code, response.json()["error"]["code"]) == (405, "method_not_allowed")
        assert set(response.headers["allow"].replace(" ", "").split(",")) == allowed

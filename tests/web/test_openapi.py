"""The API answers bad parameters with 422 naming the field, and its OpenAPI says what it
answers: the error body, the statuses, the bearer scheme. Then schemathesis checks the
document against a real server (bounded here; the full run is ``tests/apifuzz.py``)."""

from __future__ import annotations

from typing import Any

import apifuzz
import pytest

TOO_BIG = "10045734386177954182856704"  # > 2**63 - 1


@pytest.mark.parametrize(
    ("path", "field"),
    [
        (f"/api/cases/{TOO_BIG}", "case_id"),
        (f"/api/cases/{2**31}", "case_id"),
        ("/api/cases?offset=86347325923128950784", "offset"),
        (f"/api/cases?offset={2**63}", "offset"),
        (f"/api/cases/{TOO_BIG}/contact", "case_id"),
        (f"/api/cases/{TOO_BIG}/duplicates", "case_id"),
        ("/api/proactive/completion?by=", "by"),
        ("/api/proactive/completion?by=week", "by"),
        ("/api/measures?start=2026-01-01&end=2026-02-01&by=nothing", "by"),
    ],
)
def test_out_of_range_parameters_are_422_naming_the_field(api: Any, path: str, field: str) -> None:
    r = api.client.get(path, headers=api.h("admin"))
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["error"] == "DataError"
    assert body["field"] == field
    assert body["detail"].startswith(f"{field}: ")


def test_largest_id_and_offset_are_plain_answers(api: Any) -> None:
    r = api.client.get(f"/api/cases/{2**31 - 1}", headers=api.h("admin"))
    assert r.status_code == 404, r.text
    assert r.json()["field"] == "case"
    r = api.client.get(f"/api/cases?offset={2**63 - 1}", headers=api.h("admin"))
    assert r.status_code == 200, r.text
    assert r.json() == []


def test_too_big_ids_in_bodies_and_open311(api: Any) -> None:
    case = api.submit()
    r = api.client.post(
        f"/api/cases/{case['id']}/actions",
        json={"action": "merge", "merged_into": 2**31, "reason": "重复"},
        headers=api.h("dispatcher"),
    )
    assert r.status_code == 422, r.text
    assert r.json()["field"] == "merged_into"
    r = api.client.get(f"/open311/v2/requests.json?service_request_id=1,{TOO_BIG}")
    assert r.status_code == 400, r.text
    assert "service_request_id" in r.json()[0]["description"]
    assert api.client.get(f"/open311/v2/requests/{TOO_BIG}.json").status_code == 404
    assert api.client.get(f"/open311/v2/requests/{2**31}.json").status_code == 404
    # other Unicode digits are not an id either
    assert api.client.get("/open311/v2/requests/²³.json").status_code == 404


def test_unparsable_body_is_422_on_body(api: Any) -> None:
    r = api.client.post(
        "/api/auth/token",
        content=b"\x1f\x8b\xff not json",
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 422, r.text
    assert r.json()["field"] == "body"


def test_wrong_method_is_405_listing_every_method_of_the_path(api: Any) -> None:
    r = api.client.request("OPTIONS", "/api/cases", headers=api.h("admin"))
    assert r.status_code == 405
    assert r.json()["error"] == "MethodNotAllowed"
    assert r.headers["allow"] == "GET, POST"
    # a literal segment is not taken for an id: GET /api/cases/escalate is not a case
    r = api.client.get("/api/cases/escalate", headers=api.h("admin"))
    assert r.status_code == 405
    assert r.headers["allow"] == "POST"
    r = api.client.get("/api/no-such-thing")
    assert r.status_code == 404
    assert r.json() == {
        "error": "NotFoundError",
        "field": "path",
        "detail": "path: no endpoint /api/no-such-thing",
    }


def _operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, op)
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]


def test_openapi_describes_errors_statuses_and_the_bearer_scheme(api: Any) -> None:
    doc = api.client.get("/openapi.json").json()
    schemas = doc["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    assert set(schemas["ErrorBody"]["properties"]) == {"error", "field", "detail"}
    assert doc["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "A token from POST /api/auth/token.",
    }
    ops = _operations(doc)
    assert len(ops) > 40
    for path, method, op in ops:
        where = f"{method.upper()} {path}"
        responses = op["responses"]
        invalid = "400" if path.startswith("/open311/") else "422"
        assert invalid in responses, where
        for status, response in responses.items():
            if int(status) < 400:
                continue
            content = response["content"]
            if path.startswith("/open311/"):
                assert set(content) == {"application/json", "application/xml"}, where
            else:
                assert content == {
                    "application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}
                }, where
        params = op.get("parameters", [])
        assert not any(p["name"].lower() == "authorization" for p in params), where
    by_name = {f"{m.upper()} {p}": op for p, m, op in ops}
    # a role-restricted route needs the token and says so; one that only identifies the
    # caller takes it optionally; a public one does not mention it
    unmask_log = by_name["GET /api/admin/unmask-log"]
    assert unmask_log["security"] == [{"bearer": []}]
    assert {"401", "403"} <= set(unmask_log["responses"])
    assert by_name["GET /api/auth/me"]["security"] == [{"bearer": []}, {}]
    assert "403" not in by_name["GET /api/auth/me"]["responses"]
    assert by_name["POST /api/cases"]["security"] == [{"bearer": []}, {}]
    assert "security" not in by_name["GET /api/track/{code}"]
    assert "404" in by_name["GET /api/track/{code}"]["responses"]
    case = by_name["GET /api/cases/{case_id}"]["parameters"][0]
    assert case["schema"]["maximum"] == 2**31 - 1
    assert by_name["GET /api/proactive/completion"]["parameters"][0]["schema"]["enum"] == [
        "rule_id",
        "grid_id",
        "all",
    ]


@pytest.fixture(scope="module")
def fuzz_target(tmp_path_factory: pytest.TempPathFactory) -> Any:
    with apifuzz.serve(tmp_path_factory.mktemp("apifuzz")) as target:
        yield target


# The bounded run: every check, a fixed seed, a few examples per operation. The administrator
# goes through the coverage phase too (boundary values of every parameter); the resident and
# the anonymous caller through examples, fuzzing and stateful links.
@pytest.mark.parametrize(
    ("role", "phases"),
    [
        ("admin", "examples,coverage,fuzzing,stateful"),
        ("resident", "examples,fuzzing,stateful"),
        (None, "examples,fuzzing,stateful"),
    ],
)
def test_schemathesis_finds_no_failure(fuzz_target: Any, role: str | None, phases: str) -> None:
    outcome = apifuzz.run_schemathesis(fuzz_target, role, max_examples=3, seed=17, phases=phases)
    assert outcome.operations >= 50, outcome.output
    assert outcome.returncode == 0, outcome.output
    assert outcome.failures == 0, outcome.output


def test_semantic_422_allowances_name_real_operations(fuzz_target: Any) -> None:
    import httpx

    doc = httpx.get(f"{fuzz_target.base}/openapi.json").json()
    for method, path in apifuzz.SEMANTIC_422:
        assert method.lower() in doc["paths"][path], (method, path)
        assert "422" in doc["paths"][path][method.lower()]["responses"] or path.startswith(
            "/open311/"
        )

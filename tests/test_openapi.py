import json

from service.openapi import SPEC_PATH, render


def test_committed_spec_matches_the_app() -> None:
    assert SPEC_PATH.exists(), "run `python -m service.openapi` and commit openapi/openapi.json"
    assert SPEC_PATH.read_text(encoding="utf-8") == render(), (
        "openapi/openapi.json is out of date: run `python -m service.openapi` and commit it"
    )


# The readiness probe takes a token only to add details; without one it still answers.
OPTIONAL_TOKEN = {"GET /readyz"}


def test_every_operation_is_documented() -> None:
    spec = json.loads(render())
    operation_ids: list[str] = []
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            where = f"{method.upper()} {path}"
            operation_ids.append(op["operationId"])
            assert op.get("description"), f"{where} needs a one-line docstring"
            # Untagged routes would fall into a "default" group of the docs and operation ids.
            assert op.get("tags"), f"{where} is included without a tag"
            for code, response in op["responses"].items():
                if code.startswith(("4", "5")):
                    assert list(response.get("content", {})) == ["application/problem+json"], (
                        f"{where} declares {code} without the problem body"
                    )
            if op.get("security") and where not in OPTIONAL_TOKEN:
                assert "401" in op["responses"], f"{where} needs a token but hides 401"
            if "requestBody" in op:
                assert "413" in op["responses"], f"{where} takes a body but hides 413"
    assert len(set(operation_ids)) == len(operation_ids), "two operations share an id"

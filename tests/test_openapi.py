from service.openapi import SPEC_PATH, render


def test_committed_spec_matches_the_app() -> None:
    assert SPEC_PATH.exists(), "run `python -m service.openapi` and commit openapi/openapi.json"
    assert SPEC_PATH.read_text(encoding="utf-8") == render(), (
        "openapi/openapi.json is out of date: run `python -m service.openapi` and commit it"
    )


def test_every_operation_is_documented() -> None:
    import json

    spec = json.loads(render())
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            where = f"{method.upper()} {path}"
            assert op.get("summary"), where
            assert op.get("description"), f"{where} needs a one-line docstring"
            assert op["operationId"].count("-") >= 1, where

"""One closed list of error codes: whatever the API answers is in it, and all of it is used.

The list is the ``ErrorCode`` Literal; mypy checks the codes written where a type reaches, and
these tests check what it cannot: codes of classes defined anywhere under ``service/``, string
literals handed to the problem builders, and that no code in the list is dead.
"""

import ast
import importlib
import json
import pkgutil
from collections.abc import Iterator
from pathlib import Path
from typing import get_args

import service
from service.error_codes import ErrorCode
from service.errors import BY_STATUS, ServiceError
from service.openapi import render
from service.openrosa.router import OPENROSA_ERRORS
from service.spec import declared_codes

SERVICE = Path(service.__file__).parent
CODES = frozenset(get_args(ErrorCode))
# Calls that put a code into a problem body, and where the code goes (argument index).
BUILDERS = {
    "problem_body": None,
    "problem_response": None,
    "problem_messages": 3,
    "ImageRejected": 0,
}


def _import_all() -> None:
    for module in pkgutil.walk_packages([str(SERVICE)], prefix="service."):
        if not module.name.endswith("__main__"):
            importlib.import_module(module.name)


def _subclasses(cls: type[ServiceError]) -> Iterator[type[ServiceError]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _class_codes() -> dict[str, str]:
    _import_all()
    errors: list[type[ServiceError]] = [ServiceError, *_subclasses(ServiceError)]
    return {f"{e.__module__}.{e.__qualname__}": e.code for e in errors}


def _builder_literals() -> Iterator[tuple[str, str]]:
    for path in sorted(SERVICE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name not in BUILDERS:
                continue
            index = BUILDERS[name]
            args = [kw.value for kw in node.keywords if kw.arg == "code"]
            if index is not None and len(node.args) > index:
                args.append(node.args[index])
            for arg in args:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    yield f"{path.relative_to(SERVICE.parent)}:{node.lineno}", arg.value


def _spec_codes() -> set[str]:
    spec = json.loads(render())
    return {
        code
        for operations in spec["paths"].values()
        for operation in operations.values()
        for response in operation["responses"].values()
        for code in declared_codes(response) or ()
    }


def test_every_error_class_has_a_listed_code() -> None:
    unlisted = {name: code for name, code in _class_codes().items() if code not in CODES}
    assert not unlisted, f"add these codes to ErrorCode in service/error_codes.py: {unlisted}"


def test_every_code_literal_given_to_a_problem_builder_is_listed() -> None:
    found = list(_builder_literals())
    assert found, "the scan finds no builder call: has a builder been renamed?"
    unlisted = [(where, code) for where, code in found if code not in CODES]
    assert not unlisted, f"add these codes to ErrorCode in service/error_codes.py: {unlisted}"


def test_every_listed_code_is_used() -> None:
    used = set(_class_codes().values()) | {code for _, code in _builder_literals()}
    assert CODES - used == set(), "remove dead codes from ErrorCode, or raise them"


def test_every_specific_code_is_declared_by_some_route() -> None:
    # A generic code (one per status) may be answered by any route, declared or not; a code
    # of its own is raised for a reason some route must tell its clients about.
    generic = {error.code for error in BY_STATUS.values()}
    # Collect's routes are not in the spec; docs/openrosa.md lists their codes (a test checks).
    openrosa = {error.code for error in OPENROSA_ERRORS}
    assert CODES - generic - openrosa - _spec_codes() == set()


def test_the_spec_lists_the_codes_as_an_enum() -> None:
    spec = json.loads(render())
    assert spec["components"]["schemas"]["Problem"]["properties"]["code"]["enum"] == list(
        get_args(ErrorCode)
    )

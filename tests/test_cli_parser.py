"""The ``mshop`` parser: every command it names exists, and parsing loads no heavy module."""

import argparse
import json
import subprocess
import sys
from collections.abc import Iterator

import pytest

from service.calendar.rules import CalendarError
from service.cli import SERVE, Command, _said_to_user, build_parser
from service.cli_support import CliError
from service.cli_users import cmd_users_list


def _commands(
    parser: argparse.ArgumentParser, words: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], Command]]:
    """Each command line the parser accepts, down to its leaf, with the command it runs."""
    subparsers = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subparsers:
        yield words, parser.get_default("command")
        return
    for name, child in subparsers[0].choices.items():
        yield from _commands(child, (*words, name))


def test_every_command_names_a_function_that_exists() -> None:
    found = dict(_commands(build_parser()))
    assert len(found) == 18
    assert found[("serve",)] == SERVE
    assert found[("users", "list")].load() is cmd_users_list
    for words, command in found.items():
        assert isinstance(command, Command), words
        assert callable(command.load()), words


def test_a_command_line_parses_to_its_command_and_options() -> None:
    args = build_parser().parse_args(["users", "list", "--role", "analyst"])
    assert args.command == Command("cli_users", "cmd_users_list")
    assert args.role == "analyst"
    with pytest.raises(SystemExit):
        build_parser().parse_args(["users", "list", "--role", "mayor"])


@pytest.mark.slow  # a fresh interpreter: what this one imported already would hide an import
def test_parsing_imports_neither_the_orm_nor_the_web_framework() -> None:
    script = (
        "import json, sys\n"
        "from service.cli import build_parser\n"
        "build_parser().parse_args(['users', 'list', '--role', 'shopper'])\n"
        "build_parser().parse_args(['calendar', 'show', '2026'])\n"
        "heavy = ('sqlalchemy', 'sqlmodel', 'fastapi', 'starlette', 'uvicorn', 'alembic')\n"
        "print(json.dumps([m for m in heavy if m in sys.modules]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert json.loads(done.stdout) == []


def test_errors_the_user_can_fix_are_said_and_bugs_are_not() -> None:
    assert _said_to_user(CliError("the passwords differ")) == "the passwords differ"
    assert _said_to_user(CalendarError("2026-13-01: no such date")) == "2026-13-01: no such date"
    assert _said_to_user(KeyError("bug")) is None

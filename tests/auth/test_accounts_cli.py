"""The account commands of ``mshop`` this change added to: look-alikes and session clean-up."""

import datetime as dt
import os
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlmodel import Session, select

from service.auth.models import RefreshFamily, User
from tests.test_cli import run

# Every test runs the CLI as a process of its own.
pytestmark = pytest.mark.slow


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MSHOP_")}
    return clean | {
        "MSHOP_DATABASE__URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }


def create(env: dict[str, str], email: str) -> tuple[int, str, str]:
    result = run(
        env,
        *("users", "create", "--email", email, "--role", "shopper", "--password-stdin"),
        stdin="a long password\n",
    )
    return result.returncode, result.stdout, result.stderr


def test_users_create_refuses_a_look_alike(env: dict[str, str]) -> None:
    assert create(env, "admin@example.kz")[0] == 0
    code, _, err = create(env, "\u0430dmin@example.kz")
    assert (code, err.startswith("mshop: \u0430dmin@example.kz looks like the e-mail")) == (2, True)
    code, out, _ = create(env, "ｎｅｗ@example.kz")
    assert (code, out.startswith("created shopper new@example.kz")) == (0, True)


def test_users_cleanup_removes_expired_sign_ins(env: dict[str, str]) -> None:
    assert create(env, "phone@example.kz")[0] == 0
    engine = create_engine(env["MSHOP_DATABASE__URL"])
    now = dt.datetime.now(dt.UTC)
    try:
        with Session(engine) as session:
            user = session.exec(select(User)).one()
            for days in (-1, 1):
                session.add(
                    RefreshFamily(
                        user_id=user.id,
                        current_jti=uuid.uuid4().hex,
                        created_at=now - dt.timedelta(days=30),
                        expires_at=now + dt.timedelta(days=days),
                    )
                )
            session.commit()
        result = run(env, "users", "cleanup")
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "users: 1 expired sign-in sessions removed"
        with Session(engine) as session:
            left = session.exec(select(RefreshFamily)).all()
            assert [f.expires_at > now for f in left] == [True]
    finally:
        engine.dispose()

"""E-mails: one normal form (NFKC + case folding) and no look-alikes of existing accounts."""

import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from service.auth import repository
from service.auth import service as auth_service
from service.auth.emails import _prototypes, email_skeleton, normalise_email, skeleton_key
from service.auth.models import User
from service.auth.roles import Role
from service.auth.schemas import UserCreate
from service.config import DatabaseSettings
from service.db import create_db_engine
from service.migrate import upgrade
from tests.conftest import AuthHeaders
from tests.fixtures.db import database_url_for, drop_postgres_database
from tests.fixtures.problems import assert_problem
from tests.fixtures.routes import api_path
from tests.fixtures.users import PASSWORD, make_user

CYRILLIC_A = "\u0430"
ADMIN = "admin@example.kz"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("  Admin@Example.KZ ", ADMIN),
        ("ａｄｍｉｎ＠ｅｘａｍｐｌｅ．ｋｚ", ADMIN),  # fullwidth letters and signs
        ("ＡＤＭＩＮ@example.kz", ADMIN),
        ("\u212aate@example.kz", "kate@example.kz"),  # KELVIN SIGN folds to k
        ("Straße@example.kz", "strasse@example.kz"),  # folding, not lower-casing
        ("ﬁona@example.kz", "fiona@example.kz"),  # the fi ligature
        ("Айгерим@почта.kz", "айгерим@почта.kz"),  # other scripts fold too, and stay theirs
    ],
)
def test_normal_form(typed: str, stored: str) -> None:
    assert normalise_email(typed) == stored
    assert normalise_email(stored) == stored


@pytest.mark.parametrize(
    "look_alike",
    [
        CYRILLIC_A + "dmin@example.kz",  # Cyrillic а
        "adm\u0456n@example.kz",  # Ukrainian і
        "\u0251dmin@example.kz",  # Latin alpha
        "admin@ex\u0430mple.kz",  # in the domain
        "ad\u200bmin@example.kz",  # a zero-width space draws nothing
        "adrnin@example.kz",  # rn reads as m
        "ａｄｍｉｎ＠ｅｘａｍｐｌｅ．ｋｚ",
        "\u0430\u0501min@example.kz",  # two letters swapped at once
    ],
)
def test_look_alikes_share_the_skeleton(look_alike: str) -> None:
    assert email_skeleton(look_alike) == email_skeleton(ADMIN)


@pytest.mark.parametrize(
    "different",
    ["admin2@example.kz", "admins@example.kz", "admin@example.com", "damin@example.kz"],
)
def test_different_addresses_have_different_skeletons(different: str) -> None:
    assert email_skeleton(different) != email_skeleton(ADMIN)


def test_the_confusables_table_maps_to_stable_prototypes() -> None:
    prototypes = _prototypes()
    assert len(prototypes) > 5000
    assert prototypes[CYRILLIC_A] == "a"
    assert prototypes["m"] == "rn"
    # TR39's mapping is idempotent: a prototype's characters are their own prototypes.
    unstable = {c: p for c, p in prototypes.items() if any(x in prototypes for x in p)}
    assert unstable == {}


class TestCreate:
    def test_a_look_alike_of_an_account_is_refused(
        self, client: TestClient, session: Session, auth_headers: AuthHeaders
    ) -> None:
        make_user(session, Role.shopper, email=ADMIN)
        response = client.post(
            api_path("create_user"),
            json={
                "email": CYRILLIC_A + "dmin@example.kz",
                "full_name": "Impostor",
                "role": "shopper",
                "password": "long enough pw",
            },
            headers=auth_headers(Role.admin),
        )
        body = assert_problem(response, 409, "email-confusable")
        assert body["title"] == "E-mail looks like another account's"
        assert body["detail"].startswith(CYRILLIC_A + "dmin@example.kz looks like the e-mail")
        assert ADMIN not in body["detail"]  # which account is not said
        assert session.exec(select(User).where(col(User.full_name) == "Impostor")).all() == []

    def test_fullwidth_is_the_same_address(
        self, client: TestClient, session: Session, auth_headers: AuthHeaders
    ) -> None:
        make_user(session, Role.shopper, email=ADMIN)
        body = {"full_name": "New", "role": "shopper", "password": "long enough pw"}
        response = client.post(
            api_path("create_user"),
            json=body | {"email": "ａｄｍｉｎ＠ｅｘａｍｐｌｅ．ｋｚ"},
            headers=auth_headers(Role.admin),
        )
        assert_problem(response, 409, "user-exists")
        created = client.post(
            api_path("create_user"),
            json=body | {"email": "ｎｅｗ＠ｅｘａｍｐｌｅ．ｋｚ"},
            headers=auth_headers(Role.admin),
        )
        assert created.status_code == 201, created.text
        assert created.json()["email"] == "new@example.kz"
        user = session.get(User, uuid.UUID(created.json()["id"]))
        assert user is not None
        assert (user.email, user.email_skeleton_hash) == (
            "new@example.kz",
            skeleton_key("new@example.kz"),
        )

    def test_a_long_address_of_many_jamo_is_stored_by_its_skeletons_hash(
        self, client: TestClient, session: Session, auth_headers: AuthHeaders
    ) -> None:
        # Each Hangul syllable's skeleton is up to 7 characters: ~1,700 for this address,
        # more than PostgreSQL indexes; the stored key is its SHA-256.
        email = "\uaf66" * 64 + "@" + "\uaf66" * 180 + ".kz"
        assert len(email_skeleton(email)) > 1500
        body = {"full_name": "Long", "role": "shopper", "password": "long enough pw"}
        headers = auth_headers(Role.admin)
        created = client.post(
            api_path("create_user"), json=body | {"email": email}, headers=headers
        )
        assert created.status_code == 201, created.text
        user = session.get(User, uuid.UUID(created.json()["id"]))
        assert user is not None
        assert user.email_skeleton_hash == skeleton_key(email)
        assert len(user.email_skeleton_hash) == 64

    def test_a_look_alike_that_wins_a_race_past_the_check_is_refused(
        self, session: Session, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        make_user(session, Role.shopper, email=ADMIN)
        # The check ran before the other account was committed: only the unique skeleton
        # stands in the way, and the answer is the same 409.
        looked: list[str] = []
        real = repository.get_by_skeleton

        def first_sees_nothing(s: Session, skeleton: str) -> User | None:
            looked.append(skeleton)
            return None if len(looked) == 1 else real(s, skeleton)

        monkeypatch.setattr(repository, "get_by_skeleton", first_sees_nothing)
        user_in = UserCreate(
            email=CYRILLIC_A + "dmin@example.kz",
            full_name="Impostor",
            role=Role.shopper,
            password="long enough pw",
        )
        with pytest.raises(auth_service.EmailConfusable):
            auth_service.create_user(
                session, user_in, now=dt.datetime(2026, 3, 1, tzinfo=dt.UTC), min_password_length=8
            )
        assert len(looked) == 2
        assert session.exec(select(User).where(col(User.full_name) == "Impostor")).all() == []


class TestLogin:
    def test_a_look_alike_never_logs_into_the_account(
        self, client: TestClient, session: Session
    ) -> None:
        admin = make_user(session, Role.shopper, email=ADMIN)
        response = client.post(
            api_path("login"),
            data={"username": CYRILLIC_A + "dmin@example.kz", "password": PASSWORD},
        )
        assert_problem(response, 401, "invalid-credentials")
        fullwidth = client.post(
            api_path("login"), data={"username": "ＡＤＭＩＮ@example.kz", "password": PASSWORD}
        )
        assert fullwidth.status_code == 200, fullwidth.text
        me = client.get(
            api_path("read_me"),
            headers={"Authorization": f"Bearer {fullwidth.json()['access_token']}"},
        )
        assert me.json()["id"] == str(admin.id)


# --- The migration that added the skeletons ------------------------------------------------


@pytest.fixture
def engine_before_emails(tmp_path: Path) -> Iterator[Engine]:
    url = database_url_for("email_backfill", tmp_path / "backfill.db")
    engine = create_db_engine(DatabaseSettings(url=url))
    upgrade(engine, "0011")
    yield engine
    engine.dispose()
    drop_postgres_database(url)


def test_the_migration_renormalises_and_backfills_skeletons(engine_before_emails: Engine) -> None:
    users = sa.table(
        "users",
        sa.column("id", sa.Uuid()),
        sa.column("email", sa.String()),
        sa.column("full_name", sa.String()),
        sa.column("role", sa.String()),
        sa.column("is_active", sa.Boolean()),
        sa.column("hashed_password", sa.String()),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    # Stored lower-cased, as before: ß stays ß, and a look-alike got in beside admin.
    emails = [
        ADMIN,
        "groß@example.kz",
        "straße@example.kz",
        CYRILLIC_A + "dmin@example.kz",
        "strasse@example.kz",  # already the new form of the older ß address
    ]
    ids = [uuid.uuid4() for _ in emails]
    with engine_before_emails.begin() as conn:
        conn.execute(
            users.insert(),
            [
                {
                    "id": user_id,
                    "email": email,
                    "full_name": "Old",
                    "role": "shopper",
                    "is_active": True,
                    "hashed_password": "!",
                    "created_at": start + dt.timedelta(days=i),
                }
                for i, (user_id, email) in enumerate(zip(ids, emails, strict=True))
            ],
        )
    upgrade(engine_before_emails)
    with Session(engine_before_emails) as session:
        found = {u.id: (u.email, u.email_skeleton_hash) for u in session.exec(select(User)).all()}
    assert found == {
        ids[0]: (ADMIN, skeleton_key(ADMIN)),
        # Stored now as it is typed in: case-folded.
        ids[1]: ("gross@example.kz", skeleton_key("gross@example.kz")),
        # Its new form is another account's address: it keeps its old one, and the skeleton
        # both share, being the older.
        ids[2]: ("straße@example.kz", skeleton_key("strasse@example.kz")),
        # Younger look-alikes: kept, without a skeleton, so the older one's holds.
        ids[3]: (CYRILLIC_A + "dmin@example.kz", None),
        ids[4]: ("strasse@example.kz", None),
    }

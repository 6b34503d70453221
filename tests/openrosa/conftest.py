"""Shoppers with app tokens, and Collect clients on them."""

import datetime as dt
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from service.auth.models import User
from service.auth.security import encode_token
from service.openrosa import tokens
from tests.conftest import NOW, SECRET
from tests.openrosa.collect import Collect

BASE = "http://127.0.0.1"


def app_token(session: Session, shopper: User, coordinator: User) -> str:
    """A fresh app token of ``shopper``, made through the tokens service."""
    _, token, _ = tokens.create(
        session,
        shopper,
        coordinator,
        client_id=uuid.uuid4(),
        label="phone",
        key=SECRET.encode(),
        now=NOW - dt.timedelta(days=1),
        limit=5,
    )
    session.flush()
    return token


@pytest.fixture
def collect(client: TestClient, session: Session, shopper: User, coordinator: User) -> Collect:
    """The shopper's Collect, set up with an app token as the QR code would."""
    return Collect(client, f"{BASE}/openrosa/key/{app_token(session, shopper, coordinator)}")


def bearer(user: User, now: dt.datetime = NOW) -> dict[str, str]:
    """An access token of ``user`` (as tests/conftest.py's ``auth_headers`` makes them)."""
    token = encode_token(
        subject=user.id,
        token_type="access",
        secret=SECRET,
        now=now,
        ttl=dt.timedelta(minutes=30),
    )
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def staff(coordinator: User) -> dict[str, str]:
    """The coordinator's Authorization header."""
    return bearer(coordinator)

"""Who is calling on the OpenRosa paths: an app token in the URL, or HTTP Basic."""

import base64
import binascii
from typing import Annotated

from fastapi import Depends, Request

from service.auth import sessions
from service.auth.deps import ClientAddress, ThrottleDep
from service.auth.models import User
from service.auth.roles import Role
from service.clock import ClockDep
from service.db import SessionDep
from service.errors import Forbidden, InvalidCredentials, NotAuthenticated
from service.openrosa import tokens

# Collect and KoboCollect answer this challenge with the account's e-mail and password. No
# Digest: it needs the password in clear (or an MD5 of it) on the server, and Basic over
# HTTPS is what both apps send first.
CHALLENGE = {"WWW-Authenticate": 'Basic realm="mshop", charset="UTF-8"'}


def _basic(request: Request) -> tuple[str, str]:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value:
        raise NotAuthenticated("Sign in with your e-mail and password.", headers=dict(CHALLENGE))
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise InvalidCredentials("Incorrect email or password.", headers=dict(CHALLENGE)) from None
    email, colon, password = decoded.partition(":")
    if not colon:
        raise InvalidCredentials("Incorrect email or password.", headers=dict(CHALLENGE))
    return email, password


def server_url(request: Request, token: str) -> str:
    """Collect's server URL for ``token`` on the server this request reached."""
    return str(request.url_for("openrosa_form_list", app_token=token)).removesuffix("/formList")


def get_collect_user(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    throttle: ThrottleDep,
    address: ClientAddress,
) -> User:
    """The shopper behind a Collect request, by the URL's app token or by HTTP Basic."""
    now = clock()
    app_token = request.path_params.get("app_token")
    if app_token is not None:
        return tokens.user_for(session, str(app_token), now=now)
    email, password = _basic(request)
    try:
        user = sessions.login(
            session, throttle, email=email, password=password, address=address, now=now
        )
    except InvalidCredentials as exc:
        exc.headers.update(CHALLENGE)
        raise
    if user.role != Role.shopper:
        raise Forbidden("Only shoppers send visits from Collect.")
    return user


CollectUser = Annotated[User, Depends(get_collect_user)]

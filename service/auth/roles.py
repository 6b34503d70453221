"""Roles and which roles each role may create."""

from enum import StrEnum


class Role(StrEnum):
    admin = "admin"
    coordinator = "coordinator"
    shopper = "shopper"
    analyst = "analyst"


# Coordinators recruit shoppers; only admins appoint staff.
CREATABLE_ROLES: dict[Role, frozenset[Role]] = {
    Role.admin: frozenset(Role),
    Role.coordinator: frozenset({Role.shopper}),
    Role.shopper: frozenset(),
    Role.analyst: frozenset(),
}

# Whom an actor may see, edit, reset and unlock: exactly whom it may create.
MANAGED_ROLES = CREATABLE_ROLES

STAFF_ROLES = (Role.admin, Role.coordinator)

# Who reads the free text people typed (text answers, visit notes, review comments, quotes in
# findings): it may name office staff or others. Analysts work from everything else.
FREE_TEXT_ROLES = frozenset({Role.admin, Role.coordinator, Role.shopper})


def reads_free_text(role: str) -> bool:
    return role in FREE_TEXT_ROLES

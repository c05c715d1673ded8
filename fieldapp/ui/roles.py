"""What the signed-in role sees: rep, manager or admin.

The role is recorded in the sync state when the user signs in (key ``"role"``); a
replica nobody has signed in to yet, or one from before roles were recorded, is a
rep's. This only keeps the app from offering what the role cannot do: the server
checks every request from its own state, whatever the app shows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from fieldapp.sync import state

if TYPE_CHECKING:  # the wire types (pydantic) are not loaded at start-up for this
    from fieldapp.sync.protocol import Role

# fieldapp.sync.protocol.Role's values; tests/ui/test_roles.py checks they agree.
ROLES: tuple[Role, ...] = ("rep", "manager", "admin")
EVERYONE: frozenset[str] = frozenset(ROLES)
MANAGERS: frozenset[str] = frozenset({"manager", "admin"})
ADMINS: frozenset[str] = frozenset({"admin"})
# Until the role is known (and on a replica without one), the least the app offers.
DEFAULT_ROLE: Role = "rep"


def signed_in_role(session: Session) -> Role:
    """The role recorded at sign-in, or ``"rep"`` when none (or an unknown one) is."""
    value = state.get(session.connection(), "role")
    for role in ROLES:
        if value == role:
            return role
    return DEFAULT_ROLE

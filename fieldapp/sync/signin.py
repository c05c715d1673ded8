"""Signing a replica in to a sync server and out of it: one path for the CLI and the app.

The server's address and the user name are kept in the replica (``sync_state``), the
token through :mod:`fieldapp.sync.credentials` (the OS keyring, or memory for this run
when there is no secure keyring). A replica belongs to one user of one server: signing
it in as someone else is refused, so two people's records never mix in one file.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from fieldapp.errors import FieldappError
from fieldapp.store.db import Replica
from fieldapp.store.secrets import Where, keyring_status
from fieldapp.sync import state

# The sync client (sync.account: the engine; sync.transport: requests) is imported in
# the functions: the app's Sync menu imports this module at start-up and pays for the
# client only when someone signs in (tests/ui/test_map_screen.py checks the imports).


@dataclass(frozen=True)
class SignedIn:
    """The outcome of a sign-in. ``keyring_problem`` says why the token is only in memory."""

    server: str
    username: str
    role: str
    in_keyring: bool
    keyring_problem: str | None
    adopted: int = 0  # records made before the first sign-in, now this user's


@dataclass(frozen=True)
class AccountStatus:
    """Who this replica syncs as (None when it never signed in) and where the token is."""

    server: str | None
    username: str | None
    token_in: Where | None

    @property
    def signed_in(self) -> bool:
        return self.server is not None and self.username is not None and self.token_in is not None


def server_address(text: str) -> str:
    """A server address as typed, checked: ``http(s)://host[:port][/path]``, no trailing /."""
    address = text.strip().rstrip("/")
    if not address:
        raise FieldappError("enter the server's address, e.g. https://sync.example.com")
    parts = urlsplit(address)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FieldappError(
            f"{address} is not a server address; it starts with https:// or http://, "
            "e.g. https://sync.example.com"
        )
    return address


def account_status(replica: Replica) -> AccountStatus:
    from fieldapp.sync.credentials import CREDENTIALS

    with replica.engine.connect() as conn:
        server = state.get(conn, "server")
        user = state.get(conn, "username")
    where = CREDENTIALS.where(server, user) if server and user else None
    return AccountStatus(server, user, where)


def sign_in(replica: Replica, server: str, username: str, password: str) -> SignedIn:
    """Log in, check the server speaks our protocol, keep the token; raise in words."""
    from fieldapp.sync.account import refuse_sandbox
    from fieldapp.sync.credentials import CREDENTIALS
    from fieldapp.sync.transport import Transport

    refuse_sandbox(replica)
    server = server_address(server)
    username = username.strip()
    if not username:
        raise FieldappError("enter your user name")
    if not password:
        raise FieldappError("enter your password")
    with replica.engine.connect() as conn:
        bound = state.get(conn, "user_id")
        old_server = state.get(conn, "server")
    transport = Transport(server, retries=1, timeout=30)
    try:
        reply = transport.login(username, password)
        hello = transport.hello()
    finally:
        transport.close()
    if bound is not None and (bound != reply.user.id or old_server != server):
        raise FieldappError(
            "this data folder holds another user's or server's replica; "
            "use another data folder for this account"
        )
    with replica.engine.begin() as conn:
        state.put(conn, "server", server)
        state.put(conn, "username", username)
    # Who signed in (new records are theirs) and their territories (where new accounts
    # land); the first sign-in adopts what was made on this replica before.
    sole = [hello.sole_territory] if hello.sole_territory else []
    adopted = state.remember_user(replica, reply.user, sole)
    kept = CREDENTIALS.save(server, username, reply.token)
    problem = None if kept else (keyring_status().problem or "no keyring backend is available")
    return SignedIn(server, username, reply.user.role, kept, problem, adopted)


def sign_out(replica: Replica) -> str | None:
    """Revoke the token on the server if it answers, forget it here; the server, if any.

    The server and user name stay in the replica (the replica is still theirs), so the
    next sign-in is pre-filled.
    """
    from fieldapp.sync.credentials import CREDENTIALS
    from fieldapp.sync.transport import Transport

    status = account_status(replica)
    if status.server is None or status.username is None:
        return None
    token = CREDENTIALS.load(status.server, status.username)
    if token:
        transport = Transport(status.server, token, retries=0, timeout=10)
        try:
            transport.logout()
        except FieldappError:
            pass  # revoked or unreachable: forgetting the token locally is what matters
        finally:
            transport.close()
    CREDENTIALS.delete(status.server, status.username)
    return status.server

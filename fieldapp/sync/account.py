"""Who this replica syncs as, and one sync run for the command line and the app alike."""

from __future__ import annotations

from collections.abc import Callable

from fieldapp.errors import FieldappError
from fieldapp.store import sandbox
from fieldapp.store.db import Replica
from fieldapp.sync import blobs, state
from fieldapp.sync.credentials import CREDENTIALS
from fieldapp.sync.engine import Progress, SyncEngine, SyncReport
from fieldapp.sync.errors import AuthRequired, NotSignedIn, SignedOut
from fieldapp.sync.resolutions import send_decisions
from fieldapp.sync.transport import Transport


def refuse_sandbox(replica: Replica) -> None:
    """A demo sandbox never talks to a server (see fieldapp.store.sandbox): say so."""
    with replica.engine.connect() as conn:
        if sandbox.is_sandbox(conn):
            raise FieldappError(sandbox.REFUSAL)


def signed_in_account(replica: Replica) -> tuple[str, str]:
    """(server, user name) this replica was signed in with, or a sentence saying how."""
    refuse_sandbox(replica)
    with replica.engine.connect() as conn:
        server = state.get(conn, "server")
        user = state.get(conn, "username")
    if not server or not user:
        raise NotSignedIn("sign in first: fieldapp login --server URL --user NAME")
    return server, user


def signed_in_transport(replica: Replica) -> Transport:
    server, user = signed_in_account(replica)
    token = CREDENTIALS.load(server, user)
    if not token:
        raise NotSignedIn(f"sign in first: fieldapp login --server {server} --user {user}")
    return Transport(server, token)


def signed_out(replica: Replica) -> SignedOut:
    """Forget a token the server no longer accepts; the error tells how to sign in again."""
    server, user = signed_in_account(replica)
    CREDENTIALS.delete(server, user)
    return SignedOut(
        f"the server signed you out; sign in again: fieldapp login --server {server} --user {user}"
    )


def sync_now(replica: Replica, progress: Callable[[Progress], None] | None = None) -> SyncReport:
    """Send decided conflicts, push the outbox and pull what changed, with the stored sign-in."""
    transport = signed_in_transport(replica)
    try:
        send_decisions(replica, transport)
        if progress is None:
            report = SyncEngine(replica, transport).sync()
        else:
            report = SyncEngine(replica, transport, progress=progress).sync()
        # After the push, so the server knows the attachment records the blobs belong to.
        report.attachments_sent = blobs.upload_pending(replica, transport).uploaded
        return report
    except AuthRequired:
        raise signed_out(replica) from None
    finally:
        transport.close()

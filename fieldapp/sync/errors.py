"""Sync failures a user can act on."""

from __future__ import annotations

from fieldapp.errors import FieldappError


class SyncError(FieldappError):
    """The server could not be reached or answered with an error."""


class AuthRequired(SyncError):
    """No token, or the server refused it: sign in again."""


class IncompatibleServer(SyncError):
    """Client and server speak different protocol or schema versions."""


class Throttled(SyncError):
    """Too many failed logins."""


class Forbidden(SyncError):
    """The signed-in user's role may not do this (HTTP 403); the text says what."""


class NotSignedIn(SyncError):
    """This replica has no sign-in (or its token is gone): sign in first."""


class SignedOut(NotSignedIn):
    """The server no longer accepts this laptop's token (revoked or expired); it was
    forgotten here."""


class Unreachable(SyncError):
    """The server did not answer: offline, a wrong address, or the server is down.

    The sentence names the server and says nothing was lost; the network library's own
    text goes to the log, not to the user.
    """

    def __init__(self, server: str) -> None:
        super().__init__(
            f"the server at {server} cannot be reached; "
            "your changes are kept and will be sent later"
        )
        self.server = server

    @property
    def plain(self) -> str:
        text = str(self)
        return text[:1].upper() + text[1:]

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

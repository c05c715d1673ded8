"""Errors a user can act on, as opposed to bugs.

Following qutebrowser's ``KnownError`` / ``BugError`` split: anything raised as a
:class:`FieldappError` is an environment or input problem and carries a sentence fit
for the user (``str(err)``). Every other exception is a bug and gets a traceback in
the log.
"""

from __future__ import annotations


class FieldappError(Exception):
    """A problem the user can fix; ``str(err)`` is the message to show."""


class NotFoundError(FieldappError):
    """A record id that is not in the replica (or was deleted)."""


class DataDirError(FieldappError):
    """The data dir cannot be used: locked, corrupt, unwritable or from a newer release."""


class FieldError(FieldappError):
    """One invalid field value."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class ValidationError(FieldappError):
    """One or more invalid field values, all reported at once."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors

    @property
    def fields(self) -> dict[str, str]:
        return {e.field: e.message for e in self.errors}

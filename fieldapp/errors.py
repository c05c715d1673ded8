"""Errors a user can act on, as opposed to bugs.

Following qutebrowser's ``KnownError`` / ``BugError`` split: anything raised as a
:class:`FieldappError` is an environment or input problem and carries a sentence fit
for the user (``str(err)``). Every other exception is a bug and gets a traceback in
the log.
"""

from __future__ import annotations


class FieldappError(Exception):
    """A problem the user can fix; :attr:`plain` (usually ``str(err)``) is the message to show."""

    @property
    def plain(self) -> str:
        return str(self)


class NotFoundError(FieldappError):
    """A record id that is not in the replica (or was deleted)."""


class DataDirError(FieldappError):
    """The data dir cannot be used: locked, corrupt, unwritable or from a newer release."""


# Field names a person would not say as they are spelt.
_LABELS = {
    "checkin_at": "Check-in",
    "checkout_at": "Check-out",
    "due_at": "Due",
    "done_at": "Done at",
    "won_lost_reason": "Won/lost reason",
    "owner_id": "Owner",
    "source_id": "Source id",
    "id": "Id",
}
# Messages that read on after the field's name ("Name is required").
_CONTINUES = ("is ", "must ", "has ", "does ", "needs ", "and ")


def field_label(field: str) -> str:
    """A field name in plain words: ``close_date`` → "Close date", ``account_id`` → "Account"."""
    if field in _LABELS:
        return _LABELS[field]
    words = field.removesuffix("_id").replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def sentence(field: str, message: str, label: str | None = None) -> str:
    """One field's problem as a sentence: "Latitude must be between -90 and 90 (got 91)".

    ``label`` is the name the user sees for the field (a form's label); by default the
    field's name in plain words.
    """
    label = label or field_label(field)
    if message.startswith(_CONTINUES):
        return f"{label} {message}"
    if message.lower().startswith(label.lower()) or message.lower().startswith(field):
        return message[:1].upper() + message[1:]
    return f"{label}: {message}"


class FieldError(FieldappError):
    """One invalid field value. ``str()`` is ``field: message`` (for logs and programs);
    :attr:`plain` is the sentence for a person."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message

    @property
    def plain(self) -> str:
        return sentence(self.field, self.message)


class ValidationError(FieldappError):
    """One or more invalid field values, all reported at once."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors

    @property
    def plain(self) -> str:
        """Every problem as a sentence naming the field in plain words (what users see)."""
        return "; ".join(e.plain for e in self.errors)

    @property
    def fields(self) -> dict[str, str]:
        return {e.field: e.message for e in self.errors}

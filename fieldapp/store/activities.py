"""Activities on the timeline that are notes underneath: emails written from the app.

An email composed with "Email…" is kept as a note on the account (and the contact it
went to), so it syncs and shows on the timeline like any note, without a schema
change. Its body starts with :data:`EMAIL_MARK`, which is how :func:`note_kind` tells
it from a note a person typed.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from fieldapp.store import services

EMAIL_MARK = "✉ Email to "


def email_body(to: str, subject: str, body: str) -> str:
    return f"{EMAIL_MARK}{to}: {subject or '(no subject)'}\n\n{body}".rstrip()


def log_email(
    session: Session,
    *,
    account_id: str | None,
    contact_id: str | None,
    to: str,
    subject: str,
    body: str,
) -> str:
    """Record an email sent from the app as a note; return the note's id."""
    values = {
        "body": email_body(to, subject, body),
        "account_id": account_id,
        "contact_id": contact_id or None,
    }
    return services.create(session, "notes", values)


def note_kind(body: str) -> str:
    """``email`` for an email logged by :func:`log_email`, else ``note``."""
    return "email" if body.startswith(EMAIL_MARK) else "note"


def headline(body: str) -> str:
    """The line a timeline shows: an email's "✉ Email to …: subject", a note's first line."""
    return body.strip().splitlines()[0] if body.strip() else ""

"""Email templates: defaults, edits kept in the data dir, placeholders, a damaged file."""

from __future__ import annotations

from pathlib import Path

import pytest

from fieldapp.errors import FieldappError
from fieldapp.store import activities, email_templates, services
from fieldapp.store.db import Replica
from fieldapp.store.email_templates import Template


def test_render_fills_known_placeholders_and_leaves_the_rest() -> None:
    text = "Dear {contact_first_name}, about {deal} {unknown} {account.__class__}"
    assert email_templates.render(text, {"contact_first_name": "Jana", "deal": "Rollout"}) == (
        "Dear Jana, about Rollout {unknown} {account.__class__}"
    )


def test_edits_are_kept_and_reset(tmp_path: Path) -> None:
    assert email_templates.load(tmp_path) == list(email_templates.DEFAULTS)
    edited = Template("visit_summary", "Visit summary", "Our visit", "Hello {contact_name}")
    email_templates.save(tmp_path, edited)
    loaded = {t.key: t for t in email_templates.load(tmp_path)}
    assert loaded["visit_summary"] == edited
    assert loaded["quote_follow_up"] == email_templates.default("quote_follow_up")
    email_templates.save(tmp_path, email_templates.default("visit_summary"))
    assert '"templates": []' in (tmp_path / email_templates.TEMPLATES_FILE).read_text()


def test_a_damaged_file_is_reported_not_replaced(tmp_path: Path) -> None:
    path = tmp_path / email_templates.TEMPLATES_FILE
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(FieldappError, match="cannot be read; fix or remove the file"):
        email_templates.load(tmp_path)
    assert path.read_text(encoding="utf-8") == "{not json"


def test_an_email_is_a_note_of_kind_email(replica: Replica) -> None:
    with replica.session() as s:
        account = services.create(s, "accounts", {"name": "Acme"})
        note = activities.log_email(
            s, account_id=account, contact_id=None, to="a@b.de", subject="Hi", body="Text"
        )
        typed = services.create(s, "notes", {"body": "Email to follow", "account_id": account})
        body = services.get(s, "notes", note)["body"]
        assert body == "✉ Email to a@b.de: Hi\n\nText"
        assert activities.note_kind(body) == "email"
        assert activities.headline(body) == "✉ Email to a@b.de: Hi"
        assert activities.note_kind(services.get(s, "notes", typed)["body"]) == "note"

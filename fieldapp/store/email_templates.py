"""Email templates: the texts "Email…" starts from, editable, kept in one file.

The defaults live here; what a user changes is saved to ``email-templates.json`` in
the data dir (only the templates they changed), so a new release's wording reaches
everyone who did not edit theirs. A template's subject and body hold placeholders in
braces, e.g. ``{contact_first_name}``; :func:`render` fills in the ones it knows and
leaves any other brace text as it is (a typo shows up in the draft rather than
breaking it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from fieldapp.errors import FieldappError
from fieldapp.store.files import atomic_text

TEMPLATES_FILE = "email-templates.json"

# Placeholder -> what it stands for (shown to the user editing a template).
PLACEHOLDERS: dict[str, str] = {
    "contact_first_name": "the recipient's first name (or full name)",
    "contact_name": "the recipient's full name",
    "contact_title": "the recipient's job title",
    "account": "the account's name",
    "account_city": "the account's town",
    "visit_date": "the date of the last visit",
    "visit_notes": "the notes of the last visit",
    "next_step": "the next step agreed at the last visit",
    "deal": "the account's latest deal",
    "deal_amount": "that deal's amount",
    "my_name": "your name",
    "today": "today's date",
}
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Template:
    key: str
    name: str
    subject: str
    body: str


DEFAULTS: tuple[Template, ...] = (
    Template(
        "quote_follow_up",
        "Quote follow-up",
        "Your quote: {deal}",
        "Dear {contact_first_name},\n\n"
        "thank you for your time. As promised, here is our quote for {deal} "
        "({deal_amount}).\n\n"
        "I am happy to go through it with you; I will call you in the next few days.\n\n"
        "Kind regards,\n{my_name}",
    ),
    Template(
        "visit_summary",
        "Visit summary",
        "Our meeting on {visit_date}",
        "Dear {contact_first_name},\n\n"
        "thank you for meeting me at {account} on {visit_date}. What we discussed:\n\n"
        "{visit_notes}\n\n"
        "Next step: {next_step}\n\n"
        "Kind regards,\n{my_name}",
    ),
    Template("blank", "Blank", "", "Dear {contact_first_name},\n\n\n\nKind regards,\n{my_name}"),
)


def render(text: str, values: Mapping[str, str]) -> str:
    """``text`` with each known ``{placeholder}`` replaced by its value."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def load(data_dir: Path) -> list[Template]:
    """The templates, the user's edits in place of the defaults they changed.

    A damaged file is reported (a :class:`FieldappError`), never silently replaced.
    """
    path = Path(data_dir) / TEMPLATES_FILE
    edited: dict[str, dict[str, str]] = {}
    if path.exists():
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            edited = {t["key"]: t for t in raw["templates"]}
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise FieldappError(
                f"the email templates in {path} cannot be read; fix or remove the file"
            ) from exc
    out = []
    for template in DEFAULTS:
        mine = edited.get(template.key, {})
        out.append(
            replace(
                template,
                subject=str(mine.get("subject", template.subject)),
                body=str(mine.get("body", template.body)),
            )
        )
    return out


def save(data_dir: Path, template: Template) -> None:
    """Keep ``template``'s text (or drop the edit, if it equals the default)."""
    current = {t.key: t for t in load(data_dir)}
    current[template.key] = template
    defaults = {t.key: t for t in DEFAULTS}
    changed = [asdict(t) for k, t in current.items() if t != defaults.get(k)]
    with atomic_text(Path(data_dir) / TEMPLATES_FILE) as out:
        json.dump({"templates": changed}, out, ensure_ascii=False, indent=2)


def default(key: str) -> Template:
    return next(t for t in DEFAULTS if t.key == key)

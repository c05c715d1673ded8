"""The Rules panel (managers edit, reps read) and what rules made, shown where it is.

Screenshots go to /work/shots/rules-*.png (or $FIELDAPP_SCREENSHOTS) for a person to
look at; each is rendered and checked either way.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from fieldapp.store import rules, services
from fieldapp.store.db import Replica
from fieldapp.store.models import Flag, Lead
from fieldapp.store.models import Rule as RuleRow
from fieldapp.ui.accounts_panel import AccountsPanel
from fieldapp.ui.leads_panel import LeadsPanel
from fieldapp.ui.main_window import MainWindow
from fieldapp.ui.rule_editor import RuleDialog
from fieldapp.ui.rules_panel import RulesPanel
from tests.ui.test_screenshots import distinct_colours
from tests.ui.test_team_panel import signed_in_as

SHOTS = Path(os.environ.get("FIELDAPP_SCREENSHOTS", "/work/shots"))


def shoot(widget: object, name: str) -> None:
    image = widget.grab().toImage()  # type: ignore[attr-defined]
    assert distinct_colours(image) > 8, f"{name} looks blank"
    SHOTS.mkdir(parents=True, exist_ok=True)
    assert image.save(str(SHOTS / f"rules-{name}.png"))


def rows(panel: RulesPanel) -> list[list[str]]:
    tree = panel.list
    return [
        [tree.topLevelItem(i).text(c) for c in range(tree.columnCount())]  # type: ignore[union-attr]
        for i in range(tree.topLevelItemCount())
    ]


def live_rules(replica: Replica) -> dict[str, bool]:
    with replica.read_session() as s:
        return {
            r.name: r.enabled
            for r in s.scalars(select(RuleRow).where(RuleRow.deleted_at.is_(None)))
        }


def test_a_manager_adds_edits_switches_off_and_deletes_a_rule_with_undo(
    qtbot: QtBot, replica: Replica, make_window: Callable[..., MainWindow]
) -> None:
    signed_in_as(replica, "manager")
    with replica.session() as s:
        services.create(s, "territories", {"name": "North", "postcodes": "N"})
        rules.save(s, {"name": "Flag the forgotten", "kind": "overdue_flag"})
    window = make_window()
    window.resize(1280, 800)
    qtbot.waitUntil(lambda: window.role == "manager")
    panel = window.show_panel("rules")
    assert isinstance(panel, RulesPanel)
    qtbot.waitUntil(lambda: len(rows(panel)) == 1)
    assert panel.add_button.isVisible()

    panel.new_record()  # Ctrl+N
    dialog = panel.editor
    assert isinstance(dialog, RuleDialog)
    dialog.name.setText("Chase undecided")
    dialog.kind.setCurrentIndex(dialog.kind.findData("follow_up"))
    assert dialog.days.isVisible() and dialog.outcome.isVisible()
    dialog.outcome.setCurrentIndex(dialog.outcome.findData("no_decision"))
    dialog.days.setValue(5)
    dialog.territory.setCurrentIndex(dialog.territory.findText("North"))
    shoot(dialog, "editor")
    dialog.save()
    qtbot.waitUntil(lambda: len(rows(panel)) == 2)
    chase = next(r for r in rows(panel) if r[0] == "Chase undecided")
    assert chase[1] == "Task 5 days after a visit with outcome “no decision” in North"
    assert chase[2] == "North" and chase[3] == "On"
    shoot(window, "panel")

    # A flag rule's form asks for nothing a follow-up needs.
    panel.new_record()
    other = panel.editor
    assert other is not None
    other.kind.setCurrentIndex(other.kind.findData("lead_assign"))
    assert not other.days.isVisible()
    other.reject()

    tree = panel.list
    item = next(
        tree.topLevelItem(i)
        for i in range(tree.topLevelItemCount())
        if tree.topLevelItem(i).text(0) == "Chase undecided"  # type: ignore[union-attr]
    )
    tree.setCurrentItem(item)
    panel.toggle_selected()  # Space
    qtbot.waitUntil(lambda: live_rules(replica).get("Chase undecided") is False)
    panel.delete_selected()
    qtbot.waitUntil(lambda: "Chase undecided" not in live_rules(replica))
    qtbot.waitUntil(lambda: "deleted" in window.toast.label.text())
    assert window.toast.isVisible()
    assert window.toast.trigger()  # Undo
    qtbot.waitUntil(lambda: "Chase undecided" in live_rules(replica))
    qtbot.waitUntil(lambda: len(rows(panel)) == 2)


def test_a_rep_sees_the_rules_read_only(
    qtbot: QtBot, replica: Replica, make_window: Callable[..., MainWindow]
) -> None:
    with replica.session() as s:
        rules.save(s, {"name": "Chase", "kind": "follow_up", "outcome": "follow_up", "days": 2})
    signed_in_as(replica, "rep")
    window = make_window()
    panel = window.show_panel("rules")
    assert isinstance(panel, RulesPanel)
    qtbot.waitUntil(lambda: len(rows(panel)) == 1)
    assert not panel.add_button.isVisible() and not panel.delete_button.isVisible()
    assert "your manager set" in panel.intro.text()
    panel.list.setCurrentItem(panel.list.topLevelItem(0))
    panel.delete_selected()
    panel.new_record()
    assert panel.editor is None
    assert live_rules(replica) == {"Chase": True}


def test_flags_and_assignments_say_which_rule_and_undo(
    qtbot: QtBot, replica: Replica, make_window: Callable[..., MainWindow]
) -> None:
    signed_in_as(replica, "manager")
    long_ago = (datetime.now(UTC) - timedelta(days=40)).isoformat()
    with replica.session() as s:
        rule_id = rules.save(s, {"name": "Overdue", "kind": "overdue_flag"})
        account = services.create(s, "accounts", {"name": "Stale GmbH", "visit_frequency_days": 14})
        services.log_visit(s, account, outcome="successful", checkin_at=long_ago)
        assert rules.run_flags(s) == 1
        lead = services.create(s, "leads", {"last_name": "Novak"})
        # As the server's lead rule leaves it (pulled): given to Ana, was the manager's.
        ana = services.create(s, "users", {"username": "ana", "display_name": "Ana"})
        row = s.get(Lead, lead)
        assert row is not None
        row.owner_id, row.assigned_from_id, row.assigned_by_rule_id = ana, None, rule_id
    window = make_window()
    window.resize(1280, 800)
    accounts = window.show_panel("accounts")
    assert isinstance(accounts, AccountsPanel)
    accounts.detail.show_account(account)
    banner = accounts.detail.flags
    qtbot.waitUntil(banner.isVisible)
    assert banner.label.text() == "⚑ Not visited within 14 days — flagged by rule “Overdue”"
    shoot(window, "flag")
    qtbot.mouseClick(banner.button, Qt.MouseButton.LeftButton)  # Clear flag
    qtbot.waitUntil(lambda: not banner.isVisible())
    with replica.session() as s:
        assert [f.deleted_at is not None for f in s.scalars(select(Flag))] == [True]
        assert rules.run_flags(s) == 0  # cleared stays cleared
    assert window.toast.trigger()  # Undo puts it back
    qtbot.waitUntil(banner.isVisible)

    leads = window.show_panel("leads")
    assert isinstance(leads, LeadsPanel)
    leads.show_lead(lead)
    qtbot.waitUntil(leads.assignment.isVisible)
    assert leads.assignment.label.text() == "Assigned to Ana by rule “Overdue”"

"""File → Import… / Export…: preview, column and value mapping, row errors, scopes."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from PySide6.QtWidgets import QComboBox
from pytestqt.qtbot import QtBot

from fieldapp.store import services
from fieldapp.store.db import Replica
from fieldapp.ui import export_dialog, import_dialog
from fieldapp.ui.accounts_panel import AccountsPanel
from fieldapp.ui.main_window import MainWindow
from fieldapp.ui.transfer_menu import open_export, open_import

ROWS = [
    ["Firma", "Ort", "Type", "Email"],
    ["Alpha GmbH", "Bonn", "Customer", "a@x.de"],
    ["Beta KG", "Köln", "Kunde", "b@x.de"],
    ["Gamma", "Siegburg", "Prospect", "not-an-email"],
]


def _csv(path: Path, rows: list[list[str]]) -> str:
    with path.open("w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerows(rows)
    return str(path)


def _names(replica: Replica) -> list[str]:
    with replica.read_session() as s:
        return sorted(r["name"] for r in services.list_records(s, "accounts", limit=100))


def test_import_with_mapping_values_and_row_errors(
    qtbot: QtBot, replica: Replica, make_window, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    window: MainWindow = make_window()
    path = _csv(tmp_path / "kunden.csv", ROWS)
    monkeypatch.setattr(import_dialog, "ask_csv_to_open", lambda _parent: path)
    dialog = open_import(window)
    assert dialog.current_entity() == "accounts"
    dialog.choose_file()
    qtbot.waitUntil(lambda: not dialog.running and dialog.summary.text() != "", timeout=20_000)
    qtbot.waitUntil(lambda: "name" in dialog.summary.text().lower(), timeout=20_000)
    # The first rows, as the file has them.
    assert dialog.preview.rowCount() == 3 and dialog.preview.item(1, 0).text() == "Beta KG"  # type: ignore[union-attr]
    # "Firma" is not a known header: the name is missing, said in plain words.
    assert "name" in dialog.summary.text().lower()
    assert not dialog.import_button.isEnabled()
    dialog.set_mapping("Firma", "name")
    dialog.set_mapping("Ort", "city")
    with qtbot.waitSignal(dialog.checked, timeout=20_000) as blocker:
        dialog.check_button.click()
    report = blocker.args[0]
    assert report.column_map == {"Firma": "name", "Ort": "city", "Type": "type", "Email": "email"}
    # "Kunde" is no account type: listed with a choice; the bad email is a row error.
    assert dialog.value_table.rowCount() == 1
    assert dialog.value_table.item(0, 1).text() == "Kunde"  # type: ignore[union-attr]
    errors = [dialog.errors.item(r, 2).text() for r in range(dialog.errors.rowCount())]  # type: ignore[union-attr]
    assert any("Email" in e and "name@example.com" in e for e in errors), errors
    assert "3 invalid" not in dialog.summary.text() and "invalid" in dialog.summary.text()
    assert not dialog.import_button.isEnabled()  # invalid rows and no "skip"
    combo = dialog.value_table.cellWidget(0, 3)
    assert isinstance(combo, QComboBox)
    combo.setCurrentIndex(combo.findData("customer"))
    dialog.skip_invalid.setChecked(True)
    with qtbot.waitSignal(dialog.checked, timeout=20_000) as blocker:
        dialog.check_button.click()
    assert blocker.args[0].invalid_rows == 1
    assert dialog.import_button.isEnabled()
    with qtbot.waitSignal(dialog.imported, timeout=20_000) as blocker:
        dialog.import_button.click()
    report = blocker.args[0]
    assert (report.imported, report.invalid_rows, report.written) == (2, 1, True)
    assert _names(replica) == ["Alpha GmbH", "Beta KG"]
    with replica.read_session() as s:
        beta = [r for r in services.list_records(s, "accounts", limit=10) if r["name"] == "Beta KG"]
    assert beta[0]["type"] == "customer" and beta[0]["city"] == "Köln"
    # The Accounts panel hears of it.
    panel = window.show_panel("accounts")
    assert isinstance(panel, AccountsPanel)
    qtbot.waitUntil(lambda: panel.model.rowCount() == 2)
    dialog.close()


def test_import_refuses_a_file_that_is_not_csv(
    qtbot: QtBot, replica: Replica, make_window, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    window = make_window()
    binary = tmp_path / "sheet.xlsx"
    binary.write_bytes(b"PK\x03\x04\x00\x00binary")
    dialog = open_import(window)
    dialog.set_file(str(binary))
    qtbot.waitUntil(lambda: "save it as CSV" in dialog.summary.text(), timeout=20_000)
    assert not dialog.import_button.isEnabled()
    dialog.close()


def test_export_everything_filtered_and_lassoed_with_formula_escaping(
    qtbot: QtBot, replica: Replica, make_window, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    with replica.session() as s:
        ids = [
            services.create(s, "accounts", {"name": name, "city": city})
            for name, city in (
                ("=HYPERLINK(1)", "Bonn"),
                ("Bäckerei Lutz", "Köln"),
                ("Zeta", "Bonn"),
            )
        ]
    window = make_window()
    panel = window.show_panel("accounts")
    assert isinstance(panel, AccountsPanel)
    panel.search.setText("baeck")
    dialog = open_export(window)
    assert dialog.filtered.isEnabled() and "baeck" in dialog.filtered.text()
    assert not dialog.lasso.isEnabled()  # nothing lassoed

    def export(name: str) -> list[list[str]]:
        target = tmp_path / name
        monkeypatch.setattr(export_dialog, "ask_csv_to_save", lambda _p, _s: str(target))
        with qtbot.waitSignal(dialog.exported, timeout=20_000):
            dialog.export_button.click()
        with target.open(encoding="utf-8", newline="") as f:
            return list(csv.reader(f))

    rows = export("all.csv")
    names = sorted(r[1] for r in rows[1:])
    assert names == ["'=HYPERLINK(1)", "Bäckerei Lutz", "Zeta"]  # escaped by default
    dialog.set_scope(export_dialog.FILTERED)
    assert [r[1] for r in export("filtered.csv")[1:]] == ["Bäckerei Lutz"]
    dialog.close()
    # The lassoed selection, and formulas left as they are when asked.
    dialog = export_dialog.ExportDialog(window.ctx, window, lassoed=[ids[0], ids[2]])
    dialog.set_scope(export_dialog.LASSOED)
    dialog.escape.setChecked(False)
    assert sorted(r[1] for r in export("lasso.csv")[1:]) == ["=HYPERLINK(1)", "Zeta"]
    assert "Exported 2 accounts" in dialog.status.text()
    dialog.close()


def test_file_menu_has_import_and_export(make_window) -> None:  # type: ignore[no-untyped-def]
    window = make_window()
    file_menu = window.menuBar().actions()[0].menu()
    texts = [a.text() for a in file_menu.actions()]  # type: ignore[union-attr]
    assert "&Import…" in texts and "&Export…" in texts
    assert window.import_action.shortcut().toString() == "Ctrl+I"

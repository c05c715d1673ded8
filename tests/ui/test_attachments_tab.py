"""The account's Files tab: add from disk, paste, thumbnails, open, delete with undo."""

from __future__ import annotations

import os
from pathlib import Path

from PIL import Image
from PySide6.QtCore import QObject, QUrl, Slot
from PySide6.QtGui import QDesktopServices, QGuiApplication, QImage
from pytestqt.qtbot import QtBot

from fieldapp.store import scheduling
from fieldapp.store.attachments import attachments_of, pending_uploads
from fieldapp.store.db import Replica
from fieldapp.ui.main_window import MainWindow
from tests.ui.builders import Demo
from tests.ui.test_accounts import accounts_panel


class _Viewer(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.opened: list[str] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.opened.append(url.toLocalFile())


def test_files_tab_adds_pastes_opens_and_deletes(
    qtbot: QtBot, demo: Demo, window: MainWindow, replica: Replica, tmp_path: Path
) -> None:
    account = demo.accounts[3]
    panel = accounts_panel(window)
    window.open_account(account)
    detail = panel.detail
    tab = detail.files_tab
    qtbot.waitUntil(lambda: tab.account_id == account and tab.add_button.isEnabled())
    assert tab.list.count() == 0 and tab.hint.isVisibleTo(tab)

    photo = tmp_path / "shelf.jpg"
    Image.new("RGB", (3000, 2000), (200, 30, 30)).save(photo, "JPEG")
    tab.add_files([str(photo)])
    qtbot.waitUntil(lambda: tab.list.count() == 1, timeout=10_000)
    item = tab.list.item(0)
    assert item.text().startswith("shelf.jpg") and not item.icon().isNull()
    assert not tab.hint.isVisibleTo(tab)

    # Checked in: a pasted photo goes on the open visit.
    with replica.session() as s:
        visit_id = scheduling.check_in(s, account).visit_id
    detail.reload()  # written outside the window: no change notice came
    qtbot.waitUntil(lambda: tab.visit_id == visit_id, timeout=10_000)
    QGuiApplication.clipboard().setImage(QImage(64, 48, QImage.Format.Format_RGB32))
    tab.paste()
    qtbot.waitUntil(lambda: tab.list.count() == 2, timeout=10_000)
    with replica.read_session() as s:
        files = attachments_of(s, replica.data_dir, account_id=account)
        assert len(pending_uploads(s)) == 2
    by_parent = {f.parent_entity: f for f in files}
    detail.tabs.setCurrentWidget(tab)
    qtbot.wait(50)
    shot = window.grab().toImage()
    assert not shot.isNull()
    if folder := os.environ.get("FIELDAPP_SCREENSHOTS"):
        Path(folder).mkdir(parents=True, exist_ok=True)
        assert shot.save(str(Path(folder) / "account-files.png"))
    assert (
        by_parent["visits"].parent_id == visit_id and by_parent["visits"].filename == "pasted.png"
    )
    assert by_parent["accounts"].width == 2048  # downscaled from 3000 px

    # Open hands a named private copy to the system's viewer.
    viewer = _Viewer()
    QDesktopServices.setUrlHandler("file", viewer, "open")
    try:
        tab.list.setCurrentRow([f.id for f in tab.items].index(by_parent["accounts"].id))
        tab.open_selected()
        qtbot.waitUntil(lambda: len(viewer.opened) == 1, timeout=10_000)
    finally:
        QDesktopServices.unsetUrlHandler("file")
    opened = Path(viewer.opened[0])
    assert opened.name == "shelf.jpg" and opened.read_bytes()[:2] == b"\xff\xd8"

    # Delete, then Undo from the status bar's message.
    tab.delete_selected()
    qtbot.waitUntil(lambda: tab.list.count() == 1, timeout=10_000)
    assert "deleted" in window.statusBar().currentMessage()
    window.undo()
    qtbot.waitUntil(lambda: tab.list.count() == 2, timeout=10_000)


def test_an_oversized_file_is_refused_in_words(
    qtbot: QtBot, demo: Demo, window: MainWindow, tmp_path: Path
) -> None:
    panel = accounts_panel(window)
    window.open_account(demo.accounts[0])
    tab = panel.detail.files_tab
    qtbot.waitUntil(lambda: tab.add_button.isEnabled())
    big = tmp_path / "scan.tiff.bin"
    with open(big, "wb") as f:
        f.truncate(26 * 1024 * 1024)
    tab.add_files([str(big)])
    qtbot.waitUntil(lambda: "Not attached" in window.statusBar().currentMessage(), timeout=10_000)
    assert "at most 25.0 MB" in window.statusBar().currentMessage()
    assert tab.list.count() == 0

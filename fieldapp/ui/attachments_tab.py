"""The account's photos and files: thumbnails, add from disk or paste, open, delete.

Thumbnails are decoded off the GUI thread (``QImageReader`` scales while it reads, so a
2048 px photo costs a few milliseconds); a file another device attached is fetched
from the server the first time it is opened. Files added while checked in go on the
open visit, otherwise on the account; the upload happens with the next sync.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QSize, Qt, QUrl
from PySide6.QtGui import (
    QDesktopServices,
    QGuiApplication,
    QIcon,
    QImage,
    QImageReader,
    QKeySequence,
    QPixmap,
    QShortcut,
)
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from fieldapp.store import attachments, blobs
from fieldapp.store.private import private_dir
from fieldapp.ui.background import user_message
from fieldapp.ui.panel import AppContext

THUMB = 96
ID_ROLE = Qt.ItemDataRole.UserRole
WHERE = {"accounts": "account", "visits": "visit", "opportunities": "deal"}


def thumbnail(path: Path) -> QImage | None:
    """A small image of a photo, read scaled (safe off the GUI thread: QImage, not QPixmap)."""
    reader = QImageReader(str(path))
    reader.setAutoTransform(True)
    size = reader.size()
    if not size.isValid():
        return None
    reader.setScaledSize(size.scaled(THUMB, THUMB, Qt.AspectRatioMode.KeepAspectRatio))
    image = reader.read()
    return None if image.isNull() else image


def _thumbnail_of(data_dir: Path, info: attachments.AttachmentInfo) -> QImage | None:
    if not (info.is_image and info.local):
        return None
    return thumbnail(blobs.blob_path(data_dir, info.sha256))


def _open_file(path: Path) -> None:
    QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))


class AttachmentsTab(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.account_id: str | None = None
        self.visit_id: str | None = None  # the open visit: new files go there
        self.items: list[attachments.AttachmentInfo] = []
        self._generation = 0
        self.list = QListWidget()
        self.list.setObjectName("attachments")
        self.list.setViewMode(QListWidget.ViewMode.IconMode)
        self.list.setIconSize(QSize(THUMB, THUMB))
        self.list.setGridSize(QSize(THUMB + 48, THUMB + 40))
        self.list.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.list.setWordWrap(True)
        self.list.itemDoubleClicked.connect(lambda _i: self.open_selected())
        self.list.itemSelectionChanged.connect(self._update_buttons)
        self.hint = QLabel("No photos or files yet: Add files… or paste an image (Ctrl+V).")
        self.add_button = QPushButton("Add files…")
        self.paste_button = QPushButton("Paste image")
        self.open_button = QPushButton("Open")
        self.delete_button = QPushButton("Delete")
        self.add_button.clicked.connect(lambda: self.add_files())
        self.paste_button.clicked.connect(self.paste)
        self.open_button.clicked.connect(self.open_selected)
        self.delete_button.clicked.connect(self.delete_selected)
        QShortcut(QKeySequence.StandardKey.Paste, self.list, self.paste)
        QShortcut(QKeySequence.StandardKey.Delete, self.list, self.delete_selected)
        bar = QHBoxLayout()
        for button in (self.add_button, self.paste_button, self.open_button, self.delete_button):
            bar.addWidget(button)
        bar.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 2, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.hint)
        layout.addWidget(self.list, 1)
        ctx.bg.changed.connect(self._on_changed)
        self._update_buttons()

    # --- showing -------------------------------------------------------------------------

    def set_account(self, account_id: str | None, visit_id: str | None = None) -> None:
        self.account_id, self.visit_id = account_id, visit_id
        self.reload()

    def reload(self) -> None:
        self._generation += 1
        gen, account_id, data_dir = self._generation, self.account_id, self.ctx.data_dir
        if account_id is None:
            self._show(gen, [])
            return

        def load(session: Session) -> list[tuple[attachments.AttachmentInfo, QImage | None]]:
            rows = attachments.attachments_of(session, data_dir, account_id=account_id)
            return [(info, _thumbnail_of(data_dir, info)) for info in rows]

        self.ctx.bg.read(load, lambda rows: self._show(gen, rows), owner=self)

    def _show(self, gen: int, rows: list[tuple[attachments.AttachmentInfo, QImage | None]]) -> None:
        if gen != self._generation:
            return
        self.items = [info for info, _ in rows]
        self.list.clear()
        for info, image in rows:
            label = f"{info.filename}\n{WHERE.get(info.parent_entity, '')}"
            item = QListWidgetItem(label)
            item.setData(ID_ROLE, info.id)
            item.setToolTip(
                f"{info.filename} · {info.size / 1024:.0f} KB"
                + ("" if info.local else " · on the server, fetched when opened")
            )
            if image is not None:
                item.setIcon(QIcon(QPixmap.fromImage(image)))
            else:
                kind = "image-x-generic" if info.is_image else "text-x-generic"
                item.setIcon(QIcon.fromTheme(kind))
            self.list.addItem(item)
        self.hint.setVisible(not rows and self.account_id is not None)
        self._update_buttons()

    def _on_changed(self, entities: frozenset[str]) -> None:
        if self.account_id and "attachments" in entities:
            self.reload()

    def _update_buttons(self) -> None:
        has = self.account_id is not None
        chosen = self.selected() is not None
        self.add_button.setEnabled(has)
        self.paste_button.setEnabled(has)
        self.open_button.setEnabled(chosen)
        self.delete_button.setEnabled(chosen)

    def selected(self) -> attachments.AttachmentInfo | None:
        items = self.list.selectedItems()
        if not items:
            return None
        wanted = items[0].data(ID_ROLE)
        return next((a for a in self.items if a.id == wanted), None)

    # --- adding --------------------------------------------------------------------------

    def _target(self) -> tuple[str, str]:
        if self.visit_id is not None:
            return "visits", self.visit_id
        assert self.account_id is not None
        return "accounts", self.account_id

    def add_files(self, paths: list[str] | None = None) -> None:
        """Attach files (``paths`` given: no dialog, for drops and tests)."""
        if self.account_id is None:
            return
        if paths is None:
            paths, _ = QFileDialog.getOpenFileNames(self, "Attach files", str(Path.home()))
        if not paths:
            return
        entity, record_id = self._target()
        data_dir = self.ctx.data_dir

        def attach(session: Session) -> int:
            for path in paths:
                attachments.attach_file(session, data_dir, entity, record_id, Path(path))
            return len(paths)

        self.ctx.bg.write(
            attach,
            {"attachments"},
            lambda n: self.ctx.tell(
                f"{n} file(s) attached; sent to the server with the next sync."
            ),
            on_error=lambda e: self.ctx.tell(f"Not attached: {user_message(e)}"),
            owner=self,
        )

    def paste(self) -> None:
        """Attach the image on the clipboard (a screenshot, a photo copied from a viewer)."""
        if self.account_id is None:
            return
        image = QGuiApplication.clipboard().image()
        if image.isNull():
            self.ctx.tell("There is no image on the clipboard to attach.")
            return
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        image.save(buffer, "PNG")  # type: ignore[call-overload]  # the stubs want bytes; Qt a str
        png = bytes(data.data())
        entity, record_id = self._target()
        data_dir = self.ctx.data_dir
        self.ctx.bg.write(
            lambda s: attachments.attach_bytes(s, data_dir, entity, record_id, png, "pasted.png"),
            {"attachments"},
            lambda _id: self.ctx.tell("Image attached; it goes to the server with the next sync."),
            on_error=lambda e: self.ctx.tell(f"Not attached: {user_message(e)}"),
            owner=self,
        )

    # --- opening and deleting ------------------------------------------------------------

    def open_selected(self) -> None:
        info = self.selected()
        if info is None:
            return
        data_dir = self.ctx.data_dir

        def fetch_and_copy(_session: Session) -> Path:
            if not blobs.has_blob(data_dir, info.sha256):
                # Imported here: the sync client is only needed for a file not on this laptop.
                from fieldapp.sync import account
                from fieldapp.sync import blobs as blob_sync

                replica = self.ctx.bg.replica
                transport = account.signed_in_transport(replica)
                try:
                    blob_sync.download(replica, transport, info.sha256)
                finally:
                    transport.close()
            # The viewer needs the file's own name and extension: a private copy.
            folder = Path(data_dir) / "opened"
            private_dir(folder)
            target = folder / Path(info.filename).name
            shutil.copyfile(blobs.blob_path(data_dir, info.sha256), target)
            return target

        self.ctx.bg.read(
            fetch_and_copy,
            lambda path: _open_file(path),
            on_error=lambda e: self.ctx.tell(f"Cannot open {info.filename}: {user_message(e)}"),
            owner=self,
        )

    def delete_selected(self) -> None:
        info = self.selected()
        if info is None:
            return
        bg, attachment_id, name = self.ctx.bg, info.id, info.filename

        def undo() -> None:
            bg.write(lambda s: attachments.restore_attachment(s, attachment_id), {"attachments"})

        bg.write(
            lambda s: attachments.delete_attachment(s, attachment_id),
            {"attachments"},
            lambda _r: self.ctx.tell(f"{name} deleted.", undo),
            on_error=lambda e: self.ctx.tell(f"Not deleted: {user_message(e)}"),
            owner=self,
        )

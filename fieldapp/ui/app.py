"""Starting the desktop app: open the data dir (or explain why not), show the window."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QApplication, QFileDialog, QLabel

from fieldapp.errors import DataDirError
from fieldapp.store.db import Replica, open_replica
from fieldapp.ui import dialogs
from fieldapp.ui.main_window import MainWindow, app_icon

Ask = Callable[[str, Path], Path | None]


def open_or_ask(data_dir: Path, ask: Ask | None = None) -> Replica | None:
    """Open ``data_dir``; while it cannot be opened, explain and let the user pick another.

    Returns None when the user chose to quit.
    """
    ask = ask or (lambda message, d: dialogs.data_dir_problem(None, message, d))
    while True:
        try:
            return open_replica(data_dir)
        except DataDirError as exc:
            chosen = ask(str(exc), data_dir)
            if chosen is None:
                return None
            data_dir = chosen


def warn_if_unprotected(window: MainWindow) -> QLabel | None:
    """Say once, at start, that the replica is not encrypted, and keep a mark in the status bar.

    The mark's tooltip repeats why (no secure keyring, another program had it open);
    ``fieldapp doctor`` tells the rest.
    """
    warning = window.replica.protection.warning
    if warning is None:
        return None
    mark = QLabel(QCoreApplication.translate("app", "Not encrypted"))
    mark.setObjectName("unprotected")
    mark.setToolTip(warning)
    window.statusBar().addPermanentWidget(mark)
    window.ctx.tell(QCoreApplication.translate("app", "Warning: %1").replace("%1", warning))
    return mark


def application() -> QApplication:
    app = QApplication.instance()
    if isinstance(app, QApplication):
        return app
    # The map's fieldapp:// scheme must be declared before the application exists.
    from fieldapp.ui.web_scheme import register_scheme

    register_scheme()
    app = QApplication(sys.argv[:1])
    app.setApplicationName("fieldapp")
    app.setOrganizationName("fieldapp")
    app.setDesktopFileName("fieldapp")
    app.setWindowIcon(app_icon())
    return app


def run_app(data_dir: Path) -> int:
    """Run the desktop app on ``data_dir`` until the user quits; the exit status."""
    app = application()
    logging.basicConfig(
        filename=str(Path(data_dir) / "fieldapp.log") if Path(data_dir).is_dir() else None,
        level=logging.WARNING,
    )
    current: Path | None = Path(data_dir)
    status = 0
    while current is not None:
        replica = open_or_ask(current)
        if replica is None:
            return 1
        window = MainWindow(replica)
        switch_to: list[Path] = []

        def choose(win: MainWindow = window, target: list[Path] = switch_to) -> None:
            folder = QFileDialog.getExistingDirectory(
                win, "Open data folder", str(win.replica.data_dir)
            )
            if folder:
                target.append(Path(folder))
                win.close()

        window.switch_data_dir.connect(choose)
        window.show()
        warn_if_unprotected(window)
        status = app.exec()
        window.shutdown()
        window.deleteLater()
        replica.close()
        current = switch_to[0] if switch_to else None
    return status

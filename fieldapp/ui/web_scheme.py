"""The app's own ``fieldapp://`` URL scheme, declared before the QApplication exists.

Kept apart from the map panel so that declaring it costs nothing at start-up: the
panel (QtWebEngine widgets, folium) is only imported when the map is first shown.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QCoreApplication, Qt
from PySide6.QtWebEngineCore import QWebEngineUrlScheme

SCHEME = b"fieldapp"
ORIGIN = "fieldapp://app"


def register_scheme() -> None:
    """Declare ``fieldapp://`` to Chromium; once, before the QApplication exists."""
    # What importing QtWebEngineWidgets would do: web views need shared GL contexts,
    # and that can only be asked for before the application object is made.
    QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)
    if QWebEngineUrlScheme.schemeByName(SCHEME).name() == QByteArray(SCHEME):
        return
    scheme = QWebEngineUrlScheme(SCHEME)
    scheme.setSyntax(QWebEngineUrlScheme.Syntax.Host)
    scheme.setFlags(
        QWebEngineUrlScheme.Flag.SecureScheme
        | QWebEngineUrlScheme.Flag.LocalAccessAllowed
        | QWebEngineUrlScheme.Flag.CorsEnabled
        | QWebEngineUrlScheme.Flag.FetchApiAllowed
    )
    QWebEngineUrlScheme.registerScheme(scheme)

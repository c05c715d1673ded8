"""Map panel tests: real QtWebEngine offscreen, every request outside the app blocked."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Tests run as root in CI: Chromium's sandbox refuses root, and there is no GPU.
os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox --disable-gpu")

# The app's URL scheme must be registered before the QApplication exists.
import fieldapp.ui.map_panel  # noqa: F401

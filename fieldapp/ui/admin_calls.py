"""Admin API calls from the Admin panel: off the GUI thread, with progress and errors in words.

Every call opens the signed-in admin's transport in a worker of
:class:`fieldapp.ui.background.Background` (the GUI thread never waits on the network),
and hands back the server's answer, or a sentence: the server cannot be reached, the
sign-in ended (the token is forgotten, as a sync does), not signed in, not an admin,
or the server's own reason for a refusal. The tabs of the Admin panel share one
:class:`AdminCalls`; its ``busy`` signal drives the panel's progress line.

Signals (AdminCalls):
    busy(str): what runs now ("Loading users…"); "" when nothing does.
    signed_out(): the server ended the sign-in (sign in again to go on).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import QObject, Signal

from fieldapp.ui.background import Background, user_message
from fieldapp.ui.sync_control import capitalised

if TYPE_CHECKING:
    from fieldapp.sync.admin_api import AdminApi

T = TypeVar("T")


def admin_error(exc: BaseException) -> str:
    """What to tell the admin about a failed call, in words (never the library's)."""
    # Imported here: the HTTP client loads only once the Admin panel talks to a server.
    from fieldapp.sync import errors

    if isinstance(exc, errors.Unreachable):
        return f"The server at {exc.server} cannot be reached (offline, or the server is down)"
    if isinstance(exc, errors.SignedOut):
        return "The server ended your sign-in; sign in again (Sync → Sign in…)"
    if isinstance(exc, errors.NotSignedIn):
        return "You are not signed in; sign in as an admin first (Sync → Sign in…)"
    if isinstance(exc, errors.Forbidden):
        return f"The server refused: {exc.plain} — only an admin may do this"
    return capitalised(user_message(exc))


class AdminCalls(QObject):
    """Runs admin API calls in the background (see the module docstring)."""

    busy = Signal(str)
    signed_out = Signal()

    def __init__(self, bg: Background, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.bg = bg
        self._running: list[str] = []

    def running(self) -> int:
        return len(self._running)

    def run(
        self,
        doing: str,
        fn: Callable[[AdminApi], T],
        on_done: Callable[[T], None],
        on_error: Callable[[str, BaseException], None],
    ) -> None:
        """``fn(api)`` in a worker; ``on_done(result)`` or ``on_error(sentence, exc)`` after.

        ``doing`` is shown while it runs ("Deactivating ana…").
        """
        replica = self.bg.replica

        def job(_session: Any) -> T:
            from fieldapp.sync.admin_api import with_admin

            return with_admin(replica, fn)

        self._running.append(doing)
        self.busy.emit(doing)

        def finish() -> None:
            self._running.remove(doing)
            self.busy.emit(self._running[-1] if self._running else "")

        def done(result: T) -> None:
            finish()
            on_done(result)

        def failed(exc: Exception) -> None:
            finish()
            from fieldapp.sync.errors import SignedOut

            if isinstance(exc, SignedOut):
                self.signed_out.emit()
            on_error(admin_error(exc), exc)

        self.bg.read(job, done, on_error=failed, owner=self)

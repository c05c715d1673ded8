"""The one place in the UI that owns threads.

Every piece of store work runs here, off the GUI thread, in a session of its own
(a SQLAlchemy session lives for one operation and one thread). Results and errors come
back on the GUI thread through a queued signal. Reads run on a small pool; writes are
serialised on a pool of one thread, so two edits never race for SQLite's write lock.

After a successful write the helper emits :attr:`Background.changed` with the entity
names the write touched; views refresh from that notice instead of polling.

Reads run two at a time, so they can finish out of order: a panel that reloads on every
keystroke or change notice passes ``latest=`` a name for that reload, and only the most
recent read under that name (per owner) is delivered; an older one finishing later is
dropped instead of overwriting newer rows.

Once :meth:`Background.shutdown` has run, work handed to it is dropped: a panel's
timer firing while the window closes (the Agenda's due-list reload, a search's
debounce) starts no read on a replica about to close.

Usage::

    bg.read(lambda s: queries.account_rows(s, ids), on_rows, owner=self)
    bg.read(lambda s: queries.leads(s, text), on_rows, owner=self, latest="rows")
    bg.write(lambda s: services.update(s, "accounts", aid, values), {"accounts"},
             on_saved, on_error=self.show_errors, owner=self)

Signals:
    changed(frozenset[str]): entity names a finished write touched.
    failed(str): a job without its own error handler failed; the text is for the user.
"""

from __future__ import annotations

import itertools
import logging
import traceback
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot
from sqlalchemy.orm import Session

from fieldapp.errors import FieldappError
from fieldapp.store.db import Replica

log = logging.getLogger(__name__)

Job = Callable[[Session], Any]
OnDone = Callable[[Any], None]
OnError = Callable[[Exception], None]


def user_message(exc: BaseException) -> str:
    """What to tell a person about ``exc``: the sentence for known errors, a hint for bugs."""
    if isinstance(exc, FieldappError):
        return exc.plain
    return f"Something went wrong ({type(exc).__name__}); the details are in fieldapp.log."


@dataclass
class _Pending:
    on_done: OnDone | None
    on_error: OnError | None
    owner: QObject | None
    entities: frozenset[str]
    latest: tuple[int, str] | None = None  # (owner's id, name): see Background.read


class _Relay(QObject):
    # Lives on the GUI thread; emitted from workers, so delivery is queued.
    finished = Signal(int, object, object)


class _Runnable(QRunnable):
    def __init__(self, job_id: int, fn: Callable[[], Any], relay: _Relay) -> None:
        super().__init__()
        self.job_id = job_id
        self.fn = fn
        self.relay = relay

    def run(self) -> None:
        try:
            result = self.fn()
        except Exception as exc:
            if not isinstance(exc, FieldappError):
                log.error("background job failed:\n%s", traceback.format_exc())
            self.relay.finished.emit(self.job_id, None, exc)
        else:
            self.relay.finished.emit(self.job_id, result, None)


class Background(QObject):
    """Runs store work off the GUI thread and reports back on it (see module doc)."""

    changed = Signal(object)
    failed = Signal(str)
    # Every helper made, so tests can check that none left work running.
    instances: ClassVar[weakref.WeakSet[Background]] = weakref.WeakSet()

    def __init__(self, replica: Replica, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.replica = replica
        self._reads = QThreadPool(self)
        self._reads.setMaxThreadCount(2)
        self._writes = QThreadPool(self)
        self._writes.setMaxThreadCount(1)
        self._relay = _Relay(self)
        self._relay.finished.connect(self._deliver)
        self._ids = itertools.count(1)
        self._pending: dict[int, _Pending] = {}
        self._newest: dict[tuple[int, str], int] = {}  # latest= key → newest job id
        self._closed = False
        self.submitted = 0  # jobs taken so far (tests check that none start after shutdown)
        Background.instances.add(self)

    # -- public API -----------------------------------------------------------------

    def read(
        self,
        fn: Job,
        on_done: OnDone | None = None,
        *,
        on_error: OnError | None = None,
        owner: QObject | None = None,
        priority: int = 0,
        latest: str | None = None,
    ) -> None:
        """Run ``fn(session)`` in a read session; hand its result to ``on_done``.

        Queued reads with a higher ``priority`` start first (big loads pass a negative one
        so that what the user is looking at comes back before them). With ``latest``, a
        result is delivered only if no read of the same name and owner was submitted
        after it.
        """

        def job() -> Any:
            with self.replica.read_session() as session:
                return fn(session)

        key = (id(owner), latest) if latest is not None else None
        self._submit(self._reads, job, on_done, on_error, owner, frozenset(), priority, key)

    def write(
        self,
        fn: Job,
        entities: Iterable[str],
        on_done: OnDone | None = None,
        *,
        on_error: OnError | None = None,
        owner: QObject | None = None,
    ) -> None:
        """Run ``fn(session)`` in one transaction; announce ``entities`` as changed."""

        def job() -> Any:
            with self.replica.session() as session:
                return fn(session)

        self._submit(self._writes, job, on_done, on_error, owner, frozenset(entities), 0)

    def pending(self) -> int:
        """Jobs submitted whose result has not been delivered yet."""
        return len(self._pending)

    def shutdown(self, msecs: int = 10_000) -> bool:
        """Drop queued work, take no more and wait for running jobs; True when all finished."""
        self._closed = True
        self._reads.clear()
        self._writes.clear()
        ok = self._reads.waitForDone(msecs) and self._writes.waitForDone(msecs)
        self._pending.clear()
        self._newest.clear()
        return ok

    def active_threads(self) -> int:
        return self._reads.activeThreadCount() + self._writes.activeThreadCount()

    # -- internals --------------------------------------------------------------------

    def _submit(
        self,
        pool: QThreadPool,
        job: Callable[[], Any],
        on_done: OnDone | None,
        on_error: OnError | None,
        owner: QObject | None,
        entities: frozenset[str],
        priority: int,
        latest: tuple[int, str] | None = None,
    ) -> None:
        if self._closed:
            log.debug("a job was handed to the background helper after its shutdown: dropped")
            return
        self.submitted += 1
        job_id = next(self._ids)
        self._pending[job_id] = _Pending(on_done, on_error, owner, entities, latest)
        if latest is not None:
            self._newest[latest] = job_id
        pool.start(_Runnable(job_id, job, self._relay), priority)

    @Slot(int, object, object)
    def _deliver(self, job_id: int, result: Any, error: Exception | None) -> None:
        pending = self._pending.pop(job_id, None)
        if pending is None:
            return  # shut down meanwhile
        if pending.latest is not None:
            if self._newest.get(pending.latest) != job_id:
                return  # a newer read of the same name follows
            del self._newest[pending.latest]
        alive = pending.owner is None or shiboken6.isValid(pending.owner)
        if error is not None:
            if pending.on_error is not None and alive:
                pending.on_error(error)
            else:
                self.failed.emit(user_message(error))
            return
        if pending.entities:
            self.changed.emit(pending.entities)
        if pending.on_done is not None and alive:
            pending.on_done(result)

"""The only way anything writes to the replica (this module gathers the parts).

Functions take a session for one operation (see :meth:`Replica.session`) and return
plain values: ids and dicts, never live ORM objects. The outbox entry for every
change is written by the flush hook in :mod:`fieldapp.store.outbox`, in the same
transaction.

- :mod:`fieldapp.store.records`: one record at a time (create, update, delete, ...);
- :mod:`fieldapp.store.pipeline`: the pipeline's stages;
- :mod:`fieldapp.store.workflows`: lead conversion, visits, tasks;
- :mod:`fieldapp.store.bulk` (+ :mod:`fieldapp.store.bulk_outbox`): many rows at once.
"""

from __future__ import annotations

from fieldapp.store.bulk import bulk_create, gc_paused
from fieldapp.store.models import Account, Contact, Opportunity, Task
from fieldapp.store.pipeline import Stage, pipeline, stage_by_name
from fieldapp.store.records import (
    CASCADE,
    count,
    create,
    delete,
    get,
    list_records,
    model_for,
    pending_outbox,
    record_dict,
    restore,
    update,
)
from fieldapp.store.workflows import (
    Conversion,
    complete_task,
    convert_lead,
    last_visit_at,
    log_visit,
)

__all__ = [
    "CASCADE",
    "Account",
    "Contact",
    "Conversion",
    "Opportunity",
    "Stage",
    "Task",
    "bulk_create",
    "complete_task",
    "convert_lead",
    "count",
    "create",
    "delete",
    "gc_paused",
    "get",
    "last_visit_at",
    "list_records",
    "log_visit",
    "model_for",
    "pending_outbox",
    "pipeline",
    "record_dict",
    "restore",
    "stage_by_name",
    "update",
]

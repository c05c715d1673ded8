"""The sync endpoints' work, by what each serves (this module only gathers them).

- :mod:`fieldapp.server.records`: ``Batch``, the one writer that gives records versions;
- :mod:`fieldapp.server.push`: validation, scope and the field-by-field merge of a push;
- :mod:`fieldapp.server.pull`: pull and fetch;
- :mod:`fieldapp.server.conflicts`: listing and resolving conflicts.
"""

from fieldapp.server.conflicts import list_conflicts, resolve
from fieldapp.server.pull import conflict_info, fetch, pull, pull_in
from fieldapp.server.push import push
from fieldapp.server.records import NotFound

__all__ = [
    "NotFound",
    "conflict_info",
    "fetch",
    "list_conflicts",
    "pull",
    "pull_in",
    "push",
    "resolve",
]

"""Rules the client and the server share: what a record may hold and where it belongs.

Pure Python (no database, no Qt, nothing else of fieldapp but :mod:`fieldapp.errors`),
so the replica's store, the sync client and the central server can all import it; an
import-linter contract keeps it that way. The wire types stay in
:mod:`fieldapp.sync.protocol`.

- :mod:`~fieldapp.domain.fields`: one declaration per entity (``SPECS``,
  ``required_fields``, ``max_lengths``, ``references``); :mod:`~fieldapp.domain.cleaning`:
  ``clean`` and ``row_cleaner`` check values by them;
  :mod:`~fieldapp.domain.documents`: ``check_document`` for a whole record in wire form;
  :mod:`~fieldapp.domain.values`: the closed value sets and defaults.
- CSV imports: :mod:`~fieldapp.domain.csvfile`, :mod:`~fieldapp.domain.headers`,
  :mod:`~fieldapp.domain.picklists`, :mod:`~fieldapp.domain.imports`,
  :mod:`~fieldapp.domain.matching`, :mod:`~fieldapp.domain.report`.
"""

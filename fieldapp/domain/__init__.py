"""Rules the client and the server share: what a record may hold and where it belongs.

Pure Python (no database, no Qt, nothing else of fieldapp), so the replica's store, the
sync client and the central server can all import it; an import-linter contract keeps
it that way. The wire types stay in :mod:`fieldapp.sync.protocol`.
"""

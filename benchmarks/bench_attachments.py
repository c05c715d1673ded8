"""Attachment sync: upload throughput and the client's memory for a large set.

Run with ``python -m benchmarks.bench_attachments`` (``--mb 1024`` by default: forty
files of ~25 MB, the largest an attachment may be, onto one account). A real server
process on loopback (SQLite, blobs in a temporary folder) receives them through
``sync.blobs.upload_pending``, chunked and resumable as in the app. Prints:

- attaching (hash + copy into the replica's blob store), MB/s;
- uploading, MB/s end to end (status request, chunks, the server's checksum);
- the client's peak memory above what it held before attaching (target ≤ 100 MB).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

from fieldapp.server import admin
from fieldapp.server.db import Database
from fieldapp.store import services
from fieldapp.store.attachments import AttachmentSettings, attach_file
from fieldapp.store.db import open_replica
from fieldapp.sync import blobs
from fieldapp.sync.engine import SyncEngine
from fieldapp.sync.transport import Transport
from tests.syncutil import PASSWORD, ServerProcess


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mb", type=int, default=1024, help="size of the set in MB")
    args = parser.parse_args(argv)
    file_mb = 25
    count = max(1, args.mb // file_mb)
    with tempfile.TemporaryDirectory(prefix="fieldapp-bench-attach-") as tmp:
        root = Path(tmp)
        os.environ["FIELDAPP_BLOB_DIR"] = str(root / "server-blobs")
        url = f"sqlite:///{root / 'server.sqlite3'}"
        db = Database.open(url)
        admin.add_user(db, "ana", PASSWORD, "admin", None)
        server = ServerProcess(url)
        replica = open_replica(root / "replica")
        transport = Transport(server.base)
        transport.login("ana", PASSWORD)
        try:
            with replica.session() as s:
                account = services.create(s, "accounts", {"name": "Bench GmbH"})
            files = []
            for i in range(count):
                path = root / f"file-{i}.bin"
                path.write_bytes(os.urandom(file_mb * 1024 * 1024 - i))
                files.append(path)
            settings = AttachmentSettings(max_mb=file_mb)
            baseline = _rss_mb()
            started = time.perf_counter()
            for path in files:
                with replica.session() as s:
                    attach_file(s, replica.data_dir, "accounts", account, path, settings)
            attach_s = time.perf_counter() - started
            for path in files:
                path.unlink()
            SyncEngine(replica, transport).sync()  # the records first, as in the app
            total_mb = count * file_mb
            started = time.perf_counter()
            report = blobs.upload_pending(replica, transport)
            upload_s = time.perf_counter() - started
            extra = max(_peak_mb() - baseline, 0.0)
            sent_mb = report.bytes_sent / (1024 * 1024)
            print(f"set: {count} files, {sent_mb:,.0f} MB")
            print(f"attach (hash + copy): {total_mb / attach_s:,.0f} MB/s ({attach_s:.1f} s)")
            print(
                f"upload to loopback: {sent_mb / upload_s:,.1f} MB/s ({upload_s:.1f} s),"
                f" {report.uploaded} of {count} complete"
            )
            print(
                f"client memory: {baseline:,.0f} MB at the start; the peak of attaching and"
                f" uploading was {extra:,.0f} MB above it"
            )
        finally:
            transport.close()
            replica.close()
            server.stop()
            db.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

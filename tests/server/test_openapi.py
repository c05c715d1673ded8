"""Issue 14 items 3 and 11: schemathesis, all checks, over the whole API of the real server.

It reads ``/openapi.json`` and sends what the schema allows and what it does not
(wrong types, huge numbers, NUL characters, missing headers, other methods) as a
signed-in admin, so the requests reach the push, pull and conflict code, not just the
token check. Any 5xx, any status the description does not list or a broken
connection fails the test. Bounded: few examples per operation, derandomised, and a
time budget per database (the suite runs it on SQLite and on PostgreSQL).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from fieldapp.server.models import AppliedMutation, Record
from fieldapp.sync.protocol import PROTOCOL_HEADER, PROTOCOL_VERSION, SCHEMA_HEADER, SCHEMA_VERSION
from tests.server.rawapi import Api

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")  # the test extra installs it
ROOT = Path(__file__).resolve().parents[2]
# Distinct mutation ids and records built from the declarations in generated pushes, so
# they get into the push code (see tests/server/openapi_hooks.py).
HOOKS = "tests.server.openapi_hooks"
# A well-formed hello from an older or newer client is answered 426 ("upgrade"): the
# schema cannot say which versions the server speaks, so 426 counts as an answer too.
# Unknown headers and query parameters are ignored, as HTTP servers do (RFC 9110), so
# schemathesis is told not to expect them refused.
CONFIG = f"""
[generation]
allow-extra-parameters = false

# The protocol headers are fixed to the versions this server speaks (as the token is),
# so the requests get past the handshake into push and pull.
[parameters]
"header.{PROTOCOL_HEADER}" = "{PROTOCOL_VERSION}"
"header.{SCHEMA_HEADER}" = "{SCHEMA_VERSION}"

[checks.positive_data_acceptance]
expected-statuses = ["2xx", "401", "403", "404", "409", "426", "429"]
"""


def _schemathesis(api: Api, token: str, cwd: Path, *options: str) -> None:
    config = cwd / "schemathesis.toml"
    config.write_text(CONFIG, encoding="utf-8")
    command = [
        str(SCHEMATHESIS), "--config-file", str(config), "run", f"{api.base}/openapi.json",
        "--checks", "all",
        "--header", f"Authorization: Bearer {token}",
        "--generation-deterministic",
        "--no-color", "--workers", "1", "--request-timeout", "30",
        *options,
    ]  # fmt: skip
    env = {**os.environ, "SCHEMATHESIS_HOOKS": HOOKS, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=240)
    output = done.stdout + done.stderr
    assert "generated" in output and "Test Phases" in output, output[-6000:]  # it ran through
    # What this test holds the server to: no 5xx, no status missing from the description,
    # no request that broke the connection. (Findings of the other checks are printed.)
    for sign in ("Server error", "Undocumented status code", "Network Error"):
        assert sign not in output, output[-6000:]


def test_schemathesis_finds_no_server_error_and_no_undocumented_status(
    api: Api, tmp_path: Path
) -> None:
    api.user("boss", "admin")
    # Logging out revokes the token the rest of the run uses: that route runs on its own.
    _schemathesis(
        api, api.tokens["boss"], tmp_path,
        "--exclude-path", "/auth/logout",
        "--max-examples", "8", "--max-time", "100",
    )  # fmt: skip
    # The generated pushes got into the push code: answered mutation by mutation
    # (refusals are recorded too), and the records built from the declarations stored.
    with api.db.session() as session:
        answered = session.scalar(select(func.count()).select_from(AppliedMutation))
        stored = session.scalar(
            select(func.count()).select_from(Record).where(Record.entity == "accounts")
        )
    assert answered and stored, (answered, stored)
    api.user("leaver", "rep")
    _schemathesis(
        api, api.tokens["leaver"], tmp_path,
        "--include-path", "/auth/logout", "--max-examples", "5", "--max-time", "20",
    )  # fmt: skip

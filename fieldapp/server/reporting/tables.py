"""The report tables: what reports read of accounts and visits, in typed columns.

Kept by :mod:`fieldapp.server.reporting.rows` in step with ``records`` (created and
back-filled by server migration s0009). Times are bound in UTC: PostgreSQL keeps
them as ``timestamptz``, SQLite as text that compares in time order.

- ``report_accounts``: every account, tombstones included (a deleted account's visits
  still count in its territory, as on a replica); ``active`` = live and status active;
  ``last_visit_at``: its latest live check-in, kept so coverage reads one row per
  account instead of searching 1M visits.
- ``report_visits``: live visits that were checked in (planned visits count in no
  report); ``minutes``: the visit's length when it has a check-out after its check-in.
- ``report_deals``: live deals (opportunities), amounts as integer cents (server
  migration s0011).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from fieldapp.server.models import Base

report_accounts = Table(
    "report_accounts",
    Base.metadata,
    Column("id", String(36), primary_key=True),
    Column("territory_id", String(36)),
    Column("owner_id", String(36)),
    Column("active", Boolean, nullable=False),
    Column("frequency_days", Integer),
    Column("last_visit_at", DateTime(timezone=True)),
    Index("ix_report_accounts_scope", "territory_id", "owner_id"),
)

report_visits = Table(
    "report_visits",
    Base.metadata,
    Column("id", String(36), primary_key=True),
    Column("account_id", String(36)),
    Column("owner_id", String(36)),
    Column("checkin_at", DateTime(timezone=True), nullable=False),
    Column("minutes", Float),
    Column("outcome", String(40)),
    # Every column a visit report reads: a period is one range of it (migration s0010).
    Index("ix_report_visits_done", "checkin_at", "owner_id", "account_id", "minutes", "outcome"),
    Index("ix_report_visits_account", "account_id", "checkin_at"),
)

report_deals = Table(
    "report_deals",
    Base.metadata,
    Column("id", String(36), primary_key=True),
    Column("account_id", String(36)),
    Column("owner_id", String(36)),
    Column("stage", Text),
    Column("cents", BigInteger),
    Column("currency", String(3)),
    Column("probability", Integer),
    Column("close_date", String(10)),  # YYYY-MM-DD
    Column("changed_at", DateTime(timezone=True)),
    Column("reason", Text),
)

TABLES = (report_accounts, report_visits, report_deals)

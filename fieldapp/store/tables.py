"""The replica's tables, declared once in SQLAlchemy Core.

Every synced table has a device-made UUID key, a soft-delete marker and the server
version it was last synced at (``None`` until the server has seen it).
:mod:`fieldapp.store.models` maps its classes onto these tables; the migrations
create them (a test keeps the two equal).

They are Core, not ORM declarations, so that what only reads (``fieldapp accounts
list``) can select from them without importing the ORM and mapping the models: about
a third of a command's start-up (issue 15).

``owner_id`` and ``territory_id`` carry no foreign-key constraint on purpose: users and
territories arrive from the server and may be outside the rep's scope, while the
record pointing at them is inside it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    text,
)

from fieldapp.domain import values
from fieldapp.store.types import Money, UTCDateTime, new_id, utcnow

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)


def column(name: str, *args: Any, **kwargs: Any) -> Column[Any]:
    """A column whose key is ``name`` as a plain ``str``, as the ORM's declarations had.

    ``Column`` makes its name SQLAlchemy's ``quoted_name`` (a ``str`` subclass) and
    uses it as the key too; msgspec, which decodes pulled records into structs with a
    field per key (sync/incoming.py), takes only plain strings.
    """
    return Column(name, *args, key=name, **kwargs)


def _synced_columns() -> list[Column[Any]]:
    """Columns every synced record has, after its own (new ones for each table)."""
    return [
        column("id", String(36), primary_key=True, default=new_id),
        column("server_version", Integer),
        column("created_at", UTCDateTime, default=utcnow, nullable=False),
        column("updated_at", UTCDateTime, default=utcnow, nullable=False),
        column("deleted_at", UTCDateTime),
    ]


users = Table(
    "users",
    metadata,
    column("username", String(80), unique=True, nullable=False),
    column("display_name", String(200), default="", nullable=False),
    column("email", String(254)),
    column("role", String(16), default=values.DEFAULT_USER_ROLE, nullable=False),
    column("manager_id", String(36)),
    *_synced_columns(),
)


territories = Table(
    "territories",
    metadata,
    column("name", String(200), nullable=False),
    column("description", Text),
    # GeoJSON geometry (Polygon / MultiPolygon) as text, or None for list territories.
    column("polygon", Text),
    # Postcodes or postcode prefixes, comma separated.
    column("postcodes", Text),
    column("manager_id", String(36)),
    *_synced_columns(),
)


accounts = Table(
    "accounts",
    metadata,
    column("name", String(255), nullable=False),
    column("type", String(16), default=values.DEFAULT_ACCOUNT_TYPE, nullable=False),
    column("industry", String(100)),
    column("phone", String(40)),
    column("email", String(254)),
    column("website", String(255)),
    column("street", Text),
    column("city", String(120)),
    column("region", String(120)),
    column("postcode", String(20)),
    column("country", String(80)),
    column("latitude", Float),
    column("longitude", Float),
    column("geocode_precision", String(16)),
    column("territory_id", String(36), index=True),
    column("owner_id", String(36), index=True),
    column("status", String(16), default=values.DEFAULT_ACCOUNT_STATUS, nullable=False),
    # Normalised, comma separated: "key account,retail".
    column("tags", Text),
    column("description", Text),
    # The record's id in the CRM it was imported from (a re-import updates it).
    column("source_id", String(values.SOURCE_ID_LENGTH), index=True),
    # The account's visit plan: visited every N days (None: due every 90 days, see
    # fieldapp.domain.visits). A checked-in planned visit plans the next one N days on.
    column("visit_frequency_days", Integer),
    *_synced_columns(),
    # "Nearby" reads a latitude band of this index and tests the longitude and the
    # tombstone in it, without reading the table (store migration 0012).
    Index(
        "ix_accounts_location",
        "latitude",
        "longitude",
        "deleted_at",
    ),
    # The accounts list's order: its first page without sorting every account
    # (store migration 0018).
    Index("ix_accounts_name", "name", "id", sqlite_where=text("deleted_at IS NULL")),
)


contacts = Table(
    "contacts",
    metadata,
    column("account_id", ForeignKey("accounts.id"), index=True),
    column("first_name", String(100)),
    column("last_name", String(100), nullable=False),
    column("title", String(120)),
    column("email", String(254)),
    column("phone", String(40)),
    column("mobile", String(40)),
    column("street", Text),
    column("city", String(120)),
    column("postcode", String(20)),
    column("country", String(80)),
    column("owner_id", String(36)),
    column("description", Text),
    # The record's id in the CRM it was imported from (a re-import updates it).
    column("source_id", String(values.SOURCE_ID_LENGTH), index=True),
    *_synced_columns(),
)


leads = Table(
    "leads",
    metadata,
    column("first_name", String(100)),
    column("last_name", String(100), nullable=False),
    column("company", String(255)),
    column("title", String(120)),
    column("email", String(254)),
    column("phone", String(40)),
    column("street", Text),
    column("city", String(120)),
    column("postcode", String(20)),
    column("country", String(80)),
    column("source", String(60)),
    column("status", String(16), default=values.DEFAULT_LEAD_STATUS, nullable=False),
    column("score", Integer, default=0, nullable=False),
    column("rating", String(8), default=values.DEFAULT_LEAD_RATING, nullable=False),
    column("owner_id", String(36)),
    # The territory the lead's address lies in (fieldapp.domain.placement): its reps
    # see the lead as well as its owner (store migration 0010).
    column("territory_id", String(36), index=True),
    column("description", Text),
    column("converted_at", UTCDateTime),
    column("converted_account_id", String(36)),
    column("converted_contact_id", String(36)),
    column("converted_opportunity_id", String(36)),
    # Set by a lead-assignment rule: the rule, and the owner it replaced (for undo).
    column("assigned_by_rule_id", String(36)),
    column("assigned_from_id", String(36)),
    # The record's id in the CRM it was imported from (a re-import updates it).
    column("source_id", String(values.SOURCE_ID_LENGTH), index=True),
    *_synced_columns(),
)


pipeline_stages = Table(
    "pipeline_stages",
    metadata,
    column("name", String(60), unique=True, nullable=False),
    column("position", Integer, nullable=False),
    column("probability", Integer, nullable=False),
    column("is_won", Boolean, default=False, nullable=False),
    column("is_lost", Boolean, default=False, nullable=False),
    *_synced_columns(),
)


opportunities = Table(
    "opportunities",
    metadata,
    column("account_id", ForeignKey("accounts.id"), index=True, nullable=False),
    column("contact_id", ForeignKey("contacts.id")),
    column("name", String(255), nullable=False),
    column("stage", String(60), index=True, nullable=False),
    column("amount", Money),
    column("currency", String(3), default=values.DEFAULT_CURRENCY, nullable=False),
    column("probability", Integer),
    column("close_date", Date),
    column("won_lost_reason", Text),
    column("owner_id", String(36)),
    column("description", Text),
    # The record's id in the CRM it was imported from (a re-import updates it).
    column("source_id", String(values.SOURCE_ID_LENGTH), index=True),
    *_synced_columns(),
    # The activity feed's most recently changed deals (store migration 0008).
    Index("ix_opportunities_updated_at", "updated_at", sqlite_where=text("deleted_at IS NULL")),
    # The pipeline board's columns in display order, with what its headers sum (0019).
    Index(
        "ix_opportunities_board",
        "stage",
        text("coalesce(amount, 0) DESC"),
        "name",
        "id",
        "currency",
        "probability",
        "close_date",
        "updated_at",
        "owner_id",
        sqlite_where=text("deleted_at IS NULL"),
    ),
)


route_plans = Table(
    "route_plans",
    metadata,
    column("owner_id", String(36)),
    column("plan_date", Date, index=True, nullable=False),
    column("name", String(200)),
    column("start_latitude", Float),
    column("start_longitude", Float),
    column("end_latitude", Float),
    column("end_longitude", Float),
    column("day_start", String(5)),  # "08:30"
    column("day_end", String(5)),
    column("total_distance_m", Float),
    column("total_duration_s", Integer),
    # Route parameters the optimiser used (speed, road factor, breaks ...).
    column("settings", JSON),
    *_synced_columns(),
)


visits = Table(
    "visits",
    metadata,
    column("account_id", ForeignKey("accounts.id"), index=True, nullable=False),
    column("contact_id", ForeignKey("contacts.id")),
    column("owner_id", String(36)),
    column("route_plan_id", ForeignKey("route_plans.id")),
    column("planned_start", UTCDateTime, index=True),
    column("planned_end", UTCDateTime),
    column("checkin_at", UTCDateTime, index=True),
    column("checkout_at", UTCDateTime),
    column("checkin_latitude", Float),
    column("checkin_longitude", Float),
    column("checkin_accuracy_m", Float),
    # How far the check-in's fix lay from the account's pin, and what that says
    # (fieldapp.domain.values.CHECKIN_FLAGS: ok, far, no_fix, no_location).
    column("checkin_distance_m", Float),
    column("checkin_flag", String(16)),
    column("outcome", String(20)),
    column("notes", Text),
    column("next_step", Text),
    *_synced_columns(),
    # For reports (store migration 0008): visits done, in check-in order, holding what
    # a visit report reads.
    Index(
        "ix_visits_done",
        "checkin_at",
        "owner_id",
        "outcome",
        "checkout_at",
        "account_id",
        sqlite_where=text("deleted_at IS NULL AND checkin_at IS NOT NULL"),
    ),
    # An account's last visit is one seek of this index, without reading the row
    # (deleted_at in the key; tombstones are rare): the due-for-a-visit list, the
    # accounts list's "last visit" column and the coverage report ask that of every
    # account (store migration 0007).
    Index("ix_visits_account_checkin", "account_id", "deleted_at", "checkin_at"),
)


route_stops = Table(
    "route_stops",
    metadata,
    column("route_plan_id", ForeignKey("route_plans.id"), index=True, nullable=False),
    column("account_id", ForeignKey("accounts.id"), nullable=False),
    column("position", Integer, nullable=False),
    column("arrival", UTCDateTime),
    column("departure", UTCDateTime),
    column("window_start", UTCDateTime),
    column("window_end", UTCDateTime),
    column("service_minutes", Integer, default=30, nullable=False),
    column("travel_s", Integer),
    column("wait_s", Integer),
    column("visit_id", ForeignKey("visits.id")),
    *_synced_columns(),
)


tasks = Table(
    "tasks",
    metadata,
    column("title", String(255), nullable=False),
    column("description", Text),
    column("account_id", ForeignKey("accounts.id"), index=True),
    column("contact_id", ForeignKey("contacts.id")),
    column("opportunity_id", ForeignKey("opportunities.id")),
    column("visit_id", ForeignKey("visits.id")),
    column("due_at", UTCDateTime, index=True),
    column("priority", String(8), default=values.DEFAULT_TASK_PRIORITY, nullable=False),
    column("done", Boolean, default=False, nullable=False),
    column("done_at", UTCDateTime),
    column("owner_id", String(36)),
    # The automation rule that made the task (fieldapp.domain.rules), if one did.
    column("rule_id", String(36)),
    *_synced_columns(),
    # The activity feed's newest completed tasks (store migration 0008).
    Index(
        "ix_tasks_done_at",
        "done_at",
        sqlite_where=text("deleted_at IS NULL AND done_at IS NOT NULL"),
    ),
)


notes = Table(
    "notes",
    metadata,
    column("body", Text, nullable=False),
    column("account_id", ForeignKey("accounts.id"), index=True),
    column("contact_id", ForeignKey("contacts.id")),
    column("lead_id", ForeignKey("leads.id")),
    column("opportunity_id", ForeignKey("opportunities.id")),
    column("visit_id", ForeignKey("visits.id")),
    column("owner_id", String(36)),
    *_synced_columns(),
    # The activity feed's newest notes (store migration 0008).
    Index("ix_notes_created_at", "created_at", sqlite_where=text("deleted_at IS NULL")),
)


outbox = Table(
    "outbox",
    metadata,
    column("seq", Integer, primary_key=True, autoincrement=True),
    column("mutation_id", String(36), unique=True, default=new_id, nullable=False),
    column("entity", String(40), nullable=False),
    column("row_id", String(36), index=True, nullable=False),
    column("op", String(10), nullable=False),  # insert | update | delete | restore
    # {field: [old, new]} in wire form.
    column("changes", JSON, nullable=False),
    column("base_version", Integer),
    column("created_at", UTCDateTime, default=utcnow, nullable=False),
    # pending | refused (the server said no; ``error`` holds its reason, and the entry
    # waits for a person to resend or discard it: fieldapp.store.refused).
    column("state", String(10), default="pending", index=True, nullable=False),
    column("error", Text),
    column("refused_at", UTCDateTime),
)


attachments = Table(
    "attachments",
    metadata,
    column("account_id", ForeignKey("accounts.id"), index=True, nullable=False),
    column("parent_entity", String(20), nullable=False),  # accounts | visits | opportunities
    column("parent_id", String(36), index=True, nullable=False),
    column("owner_id", String(36)),
    column("filename", String(255), nullable=False),
    column("content_type", String(100), nullable=False),
    column("size", Integer, nullable=False),
    column("sha256", String(64), index=True, nullable=False),
    column("width", Integer),
    column("height", Integer),
    *_synced_columns(),
)


rules = Table(
    "rules",
    metadata,
    column("name", String(200), nullable=False),
    column("kind", String(12), nullable=False),
    column("enabled", Boolean, default=True, nullable=False),
    column("territory_id", String(36)),
    column("outcome", String(20)),
    column("days", Integer),
    column("task_title", String(255)),
    column("priority", String(8)),
    column("owner_id", String(36)),
    *_synced_columns(),
)


flags = Table(
    "flags",
    metadata,
    column("account_id", ForeignKey("accounts.id"), index=True, nullable=False),
    column("rule_id", String(36), nullable=False),
    column("visit_id", String(36)),
    column("reason", String(200)),
    *_synced_columns(),
)


blob_uploads = Table(
    "blob_uploads",
    metadata,
    column("sha256", String(64), primary_key=True),
    column("size", Integer, nullable=False),
    column("sent", Integer, default=0, nullable=False),
    column("error", Text),
)


# Entity name (as used on the command line, in the outbox and on the wire) -> table;
# the same entities, in the same order, as models.ENTITIES (a test keeps them equal).
SYNCED: dict[str, Table] = {
    table.name: table
    for table in (
        users,
        territories,
        accounts,
        contacts,
        leads,
        pipeline_stages,
        rules,
        opportunities,
        route_plans,
        visits,
        route_stops,
        tasks,
        notes,
        attachments,
        flags,
    )
}

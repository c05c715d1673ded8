"""The replica's tables.

Every synced table has a device-made UUID key, a soft-delete marker and the server
version it was last synced at (``None`` until the server has seen it). Writes go
through :mod:`fieldapp.store.services`; the outbox hook in :mod:`fieldapp.store.outbox`
records each one.

``owner_id`` and ``territory_id`` carry no foreign-key constraint on purpose: users and
territories arrive from the server and may be outside the rep's scope, while the
record pointing at them is inside it.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from fieldapp.domain import values

# The closed value sets live in fieldapp.domain.values; re-exported for the store.
from fieldapp.domain.values import ACCOUNT_STATUSES as ACCOUNT_STATUSES
from fieldapp.domain.values import ACCOUNT_TYPES as ACCOUNT_TYPES
from fieldapp.domain.values import GEOCODE_PRECISIONS as GEOCODE_PRECISIONS
from fieldapp.domain.values import LEAD_RATINGS as LEAD_RATINGS
from fieldapp.domain.values import LEAD_STATUSES as LEAD_STATUSES
from fieldapp.domain.values import TASK_PRIORITIES as TASK_PRIORITIES
from fieldapp.domain.values import USER_ROLES as USER_ROLES
from fieldapp.domain.values import VISIT_OUTCOMES as VISIT_OUTCOMES
from fieldapp.store.types import Money, UTCDateTime, new_id, utcnow

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Synced:
    """Columns every synced record has."""

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    server_version: Mapped[int | None] = mapped_column(Integer, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    # Columns the outbox does not report as user changes.
    BOOKKEEPING = frozenset({"id", "server_version", "created_at", "updated_at"})

    def to_dict(self) -> dict[str, Any]:
        table = self.__table__  # type: ignore[attr-defined]
        # id first: it is what people copy from `show` output.
        record = {"id": self.id}
        record.update({c.key: getattr(self, c.key) for c in table.columns})
        return record


class User(Synced, Base):
    __tablename__ = "users"
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(16), default=values.DEFAULT_USER_ROLE)
    manager_id: Mapped[str | None] = mapped_column(String(36))


class Territory(Synced, Base):
    __tablename__ = "territories"
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    # GeoJSON geometry (Polygon / MultiPolygon) as text, or None for list territories.
    polygon: Mapped[str | None] = mapped_column(Text)
    # Postcodes or postcode prefixes, comma separated.
    postcodes: Mapped[str | None] = mapped_column(Text)
    manager_id: Mapped[str | None] = mapped_column(String(36))


class Account(Synced, Base):
    __tablename__ = "accounts"
    name: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(16), default=values.DEFAULT_ACCOUNT_TYPE)
    industry: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(254))
    website: Mapped[str | None] = mapped_column(String(255))
    street: Mapped[str | None] = mapped_column(Text)
    city: Mapped[str | None] = mapped_column(String(120))
    region: Mapped[str | None] = mapped_column(String(120))
    postcode: Mapped[str | None] = mapped_column(String(20))
    country: Mapped[str | None] = mapped_column(String(80))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    geocode_precision: Mapped[str | None] = mapped_column(String(16))
    territory_id: Mapped[str | None] = mapped_column(String(36), index=True)
    owner_id: Mapped[str | None] = mapped_column(String(36), index=True)
    status: Mapped[str] = mapped_column(String(16), default=values.DEFAULT_ACCOUNT_STATUS)
    # Normalised, comma separated: "key account,retail".
    tags: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    # The record's id in the CRM it was imported from (a re-import updates it).
    source_id: Mapped[str | None] = mapped_column(String(values.SOURCE_ID_LENGTH), index=True)
    # The account's visit plan: visited every N days (None: due every 90 days, see
    # fieldapp.domain.visits). A checked-in planned visit plans the next one N days on.
    visit_frequency_days: Mapped[int | None] = mapped_column(Integer)

    # "Nearby" reads a latitude band of this index and tests the longitude and the
    # tombstone in it, without reading the table (store migration 0012).
    __table_args__ = (
        Index(
            "ix_accounts_location",
            "latitude",
            "longitude",
            "deleted_at",
        ),
    )


class Contact(Synced, Base):
    __tablename__ = "contacts"
    account_id: Mapped[str | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    title: Mapped[str | None] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    mobile: Mapped[str | None] = mapped_column(String(40))
    street: Mapped[str | None] = mapped_column(Text)
    city: Mapped[str | None] = mapped_column(String(120))
    postcode: Mapped[str | None] = mapped_column(String(20))
    country: Mapped[str | None] = mapped_column(String(80))
    owner_id: Mapped[str | None] = mapped_column(String(36))
    description: Mapped[str | None] = mapped_column(Text)
    # The record's id in the CRM it was imported from (a re-import updates it).
    source_id: Mapped[str | None] = mapped_column(String(values.SOURCE_ID_LENGTH), index=True)


class Lead(Synced, Base):
    __tablename__ = "leads"
    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    company: Mapped[str | None] = mapped_column(String(255))
    title: Mapped[str | None] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    street: Mapped[str | None] = mapped_column(Text)
    city: Mapped[str | None] = mapped_column(String(120))
    postcode: Mapped[str | None] = mapped_column(String(20))
    country: Mapped[str | None] = mapped_column(String(80))
    source: Mapped[str | None] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(16), default=values.DEFAULT_LEAD_STATUS)
    score: Mapped[int] = mapped_column(Integer, default=0)
    rating: Mapped[str] = mapped_column(String(8), default=values.DEFAULT_LEAD_RATING)
    owner_id: Mapped[str | None] = mapped_column(String(36))
    # The territory the lead's address lies in (fieldapp.domain.placement): its reps
    # see the lead as well as its owner (store migration 0010).
    territory_id: Mapped[str | None] = mapped_column(String(36), index=True)
    description: Mapped[str | None] = mapped_column(Text)
    converted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    converted_account_id: Mapped[str | None] = mapped_column(String(36))
    converted_contact_id: Mapped[str | None] = mapped_column(String(36))
    converted_opportunity_id: Mapped[str | None] = mapped_column(String(36))
    # Set by a lead-assignment rule: the rule, and the owner it replaced (for undo).
    assigned_by_rule_id: Mapped[str | None] = mapped_column(String(36))
    assigned_from_id: Mapped[str | None] = mapped_column(String(36))
    # The record's id in the CRM it was imported from (a re-import updates it).
    source_id: Mapped[str | None] = mapped_column(String(values.SOURCE_ID_LENGTH), index=True)


class PipelineStage(Synced, Base):
    """One stage of the (configurable) opportunity pipeline."""

    __tablename__ = "pipeline_stages"
    name: Mapped[str] = mapped_column(String(60), unique=True)
    position: Mapped[int] = mapped_column(Integer)
    probability: Mapped[int] = mapped_column(Integer)
    is_won: Mapped[bool] = mapped_column(Boolean, default=False)
    is_lost: Mapped[bool] = mapped_column(Boolean, default=False)


class Opportunity(Synced, Base):
    __tablename__ = "opportunities"
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    contact_id: Mapped[str | None] = mapped_column(ForeignKey("contacts.id"))
    name: Mapped[str] = mapped_column(String(255))
    stage: Mapped[str] = mapped_column(String(60), index=True)
    amount: Mapped[Decimal | None] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3), default=values.DEFAULT_CURRENCY)
    probability: Mapped[int | None] = mapped_column(Integer)
    close_date: Mapped[date | None] = mapped_column(Date)
    won_lost_reason: Mapped[str | None] = mapped_column(Text)
    owner_id: Mapped[str | None] = mapped_column(String(36))
    description: Mapped[str | None] = mapped_column(Text)
    # The record's id in the CRM it was imported from (a re-import updates it).
    source_id: Mapped[str | None] = mapped_column(String(values.SOURCE_ID_LENGTH), index=True)

    # The activity feed's most recently changed deals (store migration 0008); the
    # pipeline board's columns in display order, with what its headers sum (0018).
    __table_args__ = (
        Index("ix_opportunities_updated_at", "updated_at", sqlite_where=text("deleted_at IS NULL")),
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


class RoutePlan(Synced, Base):
    __tablename__ = "route_plans"
    owner_id: Mapped[str | None] = mapped_column(String(36))
    plan_date: Mapped[date] = mapped_column(Date, index=True)
    name: Mapped[str | None] = mapped_column(String(200))
    start_latitude: Mapped[float | None] = mapped_column(Float)
    start_longitude: Mapped[float | None] = mapped_column(Float)
    end_latitude: Mapped[float | None] = mapped_column(Float)
    end_longitude: Mapped[float | None] = mapped_column(Float)
    day_start: Mapped[str | None] = mapped_column(String(5))  # "08:30"
    day_end: Mapped[str | None] = mapped_column(String(5))
    total_distance_m: Mapped[float | None] = mapped_column(Float)
    total_duration_s: Mapped[int | None] = mapped_column(Integer)
    # Route parameters the optimiser used (speed, road factor, breaks ...).
    settings: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Visit(Synced, Base):
    __tablename__ = "visits"
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    contact_id: Mapped[str | None] = mapped_column(ForeignKey("contacts.id"))
    owner_id: Mapped[str | None] = mapped_column(String(36))
    route_plan_id: Mapped[str | None] = mapped_column(ForeignKey("route_plans.id"))
    planned_start: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    planned_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checkin_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    checkout_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checkin_latitude: Mapped[float | None] = mapped_column(Float)
    checkin_longitude: Mapped[float | None] = mapped_column(Float)
    checkin_accuracy_m: Mapped[float | None] = mapped_column(Float)
    # How far the check-in's fix lay from the account's pin, and what that says
    # (fieldapp.domain.values.CHECKIN_FLAGS: ok, far, no_fix, no_location).
    checkin_distance_m: Mapped[float | None] = mapped_column(Float)
    checkin_flag: Mapped[str | None] = mapped_column(String(16))
    outcome: Mapped[str | None] = mapped_column(String(20))
    notes: Mapped[str | None] = mapped_column(Text)
    next_step: Mapped[str | None] = mapped_column(Text)

    # For reports (store migration 0008): visits done, in check-in order, holding what
    # a visit report reads.
    __table_args__ = (
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


class RouteStop(Synced, Base):
    __tablename__ = "route_stops"
    route_plan_id: Mapped[str] = mapped_column(ForeignKey("route_plans.id"), index=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    position: Mapped[int] = mapped_column(Integer)
    arrival: Mapped[datetime | None] = mapped_column(UTCDateTime)
    departure: Mapped[datetime | None] = mapped_column(UTCDateTime)
    window_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    window_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    service_minutes: Mapped[int] = mapped_column(Integer, default=30)
    travel_s: Mapped[int | None] = mapped_column(Integer)
    wait_s: Mapped[int | None] = mapped_column(Integer)
    visit_id: Mapped[str | None] = mapped_column(ForeignKey("visits.id"))


class Task(Synced, Base):
    __tablename__ = "tasks"
    title: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    account_id: Mapped[str | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    contact_id: Mapped[str | None] = mapped_column(ForeignKey("contacts.id"))
    opportunity_id: Mapped[str | None] = mapped_column(ForeignKey("opportunities.id"))
    visit_id: Mapped[str | None] = mapped_column(ForeignKey("visits.id"))
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    priority: Mapped[str] = mapped_column(String(8), default=values.DEFAULT_TASK_PRIORITY)
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    owner_id: Mapped[str | None] = mapped_column(String(36))
    # The automation rule that made the task (fieldapp.domain.rules), if one did.
    rule_id: Mapped[str | None] = mapped_column(String(36))

    # The activity feed's newest completed tasks (store migration 0008).
    __table_args__ = (
        Index(
            "ix_tasks_done_at",
            "done_at",
            sqlite_where=text("deleted_at IS NULL AND done_at IS NOT NULL"),
        ),
    )


class Note(Synced, Base):
    """A timeline entry attached to any of the records it names."""

    __tablename__ = "notes"
    body: Mapped[str] = mapped_column(Text)
    account_id: Mapped[str | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    contact_id: Mapped[str | None] = mapped_column(ForeignKey("contacts.id"))
    lead_id: Mapped[str | None] = mapped_column(ForeignKey("leads.id"))
    opportunity_id: Mapped[str | None] = mapped_column(ForeignKey("opportunities.id"))
    visit_id: Mapped[str | None] = mapped_column(ForeignKey("visits.id"))
    owner_id: Mapped[str | None] = mapped_column(String(36))

    # The activity feed's newest notes (store migration 0008).
    __table_args__ = (
        Index("ix_notes_created_at", "created_at", sqlite_where=text("deleted_at IS NULL")),
    )


class Outbox(Base):
    """One local change waiting to be pushed to the server.

    Written by the flush hook in the same transaction as the change itself.
    """

    __tablename__ = "outbox"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    mutation_id: Mapped[str] = mapped_column(String(36), unique=True, default=new_id)
    entity: Mapped[str] = mapped_column(String(40))
    row_id: Mapped[str] = mapped_column(String(36), index=True)
    op: Mapped[str] = mapped_column(String(10))  # insert | update | delete | restore
    # {field: [old, new]} in wire form.
    changes: Mapped[dict[str, Any]] = mapped_column(JSON)
    base_version: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # pending | refused (the server said no; ``error`` holds its reason, and the entry
    # waits for a person to resend or discard it: fieldapp.store.refused).
    state: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    error: Mapped[str | None] = mapped_column(Text)
    refused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Attachment(Synced, Base):
    """A photo or file on an account, a visit or a deal.

    The record syncs like any other; the bytes are a content-addressed blob (its SHA-256)
    kept in the data dir (``store/blobs.py``) and uploaded in the background
    (``sync/blobs.py``). ``account_id`` is the account it belongs to, whatever it is
    attached to, so it travels with that account's scope.
    """

    __tablename__ = "attachments"
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    parent_entity: Mapped[str] = mapped_column(String(20))  # accounts | visits | opportunities
    parent_id: Mapped[str] = mapped_column(String(36), index=True)
    owner_id: Mapped[str | None] = mapped_column(String(36))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)


class Rule(Synced, Base):
    """An automation rule a manager or admin set (fieldapp.domain.rules, store migration 0014).

    ``territory_id`` None: the author's team (everyone for an admin's rule).
    """

    __tablename__ = "rules"
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(12))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    territory_id: Mapped[str | None] = mapped_column(String(36))
    outcome: Mapped[str | None] = mapped_column(String(20))
    days: Mapped[int | None] = mapped_column(Integer)
    task_title: Mapped[str | None] = mapped_column(String(255))
    priority: Mapped[str | None] = mapped_column(String(8))
    owner_id: Mapped[str | None] = mapped_column(String(36))


class Flag(Synced, Base):
    """A rule's flag on an account ("not visited within its frequency").

    Deleting it clears the flag; the tombstone keeps the rule from flagging the account
    again for the same overdue spell (its id names the spell's last visit).
    """

    __tablename__ = "flags"
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    rule_id: Mapped[str] = mapped_column(String(36))
    visit_id: Mapped[str | None] = mapped_column(String(36))
    reason: Mapped[str | None] = mapped_column(String(200))


class BlobUpload(Base):
    """This device's blobs still to send to the server (device state: never synced)."""

    __tablename__ = "blob_uploads"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    sent: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)


# Entity name (as used on the command line, in the outbox and on the wire) -> model.
ENTITIES: dict[str, type[Synced]] = {
    "users": User,
    "territories": Territory,
    "accounts": Account,
    "contacts": Contact,
    "leads": Lead,
    "pipeline_stages": PipelineStage,
    "rules": Rule,
    "opportunities": Opportunity,
    "route_plans": RoutePlan,
    "visits": Visit,
    "route_stops": RouteStop,
    "tasks": Task,
    "notes": Note,
    "attachments": Attachment,
    "flags": Flag,
}


def entity_name(model: type[Synced]) -> str:
    return model.__tablename__  # type: ignore[attr-defined]

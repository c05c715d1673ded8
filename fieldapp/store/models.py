"""The replica's classes, mapped onto the tables of :mod:`fieldapp.store.tables`.

Writes go through :mod:`fieldapp.store.services`; the outbox hook in
:mod:`fieldapp.store.outbox` records each one. The columns are declared once, in the
tables; the annotations here only give each attribute its Python type (a test keeps
them equal to the tables' columns and their nullability).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import DeclarativeBase, Mapped

# The closed value sets live in fieldapp.domain.values; re-exported for the store.
from fieldapp.domain.values import ACCOUNT_STATUSES as ACCOUNT_STATUSES
from fieldapp.domain.values import ACCOUNT_TYPES as ACCOUNT_TYPES
from fieldapp.domain.values import GEOCODE_PRECISIONS as GEOCODE_PRECISIONS
from fieldapp.domain.values import LEAD_RATINGS as LEAD_RATINGS
from fieldapp.domain.values import LEAD_STATUSES as LEAD_STATUSES
from fieldapp.domain.values import TASK_PRIORITIES as TASK_PRIORITIES
from fieldapp.domain.values import USER_ROLES as USER_ROLES
from fieldapp.domain.values import VISIT_OUTCOMES as VISIT_OUTCOMES
from fieldapp.store import tables
from fieldapp.store.tables import NAMING as NAMING


class Base(DeclarativeBase):
    metadata = tables.metadata


class Synced:
    """Columns every synced record has (see ``tables._synced_columns``)."""

    id: Mapped[str]
    server_version: Mapped[int | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    deleted_at: Mapped[datetime | None]

    # Columns the outbox does not report as user changes.
    BOOKKEEPING = frozenset({"id", "server_version", "created_at", "updated_at"})

    def to_dict(self) -> dict[str, Any]:
        table = self.__table__  # type: ignore[attr-defined]
        # id first: it is what people copy from `show` output.
        record = {"id": self.id}
        record.update({c.key: getattr(self, c.key) for c in table.columns})
        return record


class User(Synced, Base):
    __table__ = tables.users
    username: Mapped[str]
    display_name: Mapped[str]
    email: Mapped[str | None]
    role: Mapped[str]
    manager_id: Mapped[str | None]


class Territory(Synced, Base):
    __table__ = tables.territories
    name: Mapped[str]
    description: Mapped[str | None]
    polygon: Mapped[str | None]
    postcodes: Mapped[str | None]
    manager_id: Mapped[str | None]


class Account(Synced, Base):
    __table__ = tables.accounts
    name: Mapped[str]
    type: Mapped[str]
    industry: Mapped[str | None]
    phone: Mapped[str | None]
    email: Mapped[str | None]
    website: Mapped[str | None]
    street: Mapped[str | None]
    city: Mapped[str | None]
    region: Mapped[str | None]
    postcode: Mapped[str | None]
    country: Mapped[str | None]
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    geocode_precision: Mapped[str | None]
    territory_id: Mapped[str | None]
    owner_id: Mapped[str | None]
    status: Mapped[str]
    tags: Mapped[str | None]
    description: Mapped[str | None]
    source_id: Mapped[str | None]
    visit_frequency_days: Mapped[int | None]


class Contact(Synced, Base):
    __table__ = tables.contacts
    account_id: Mapped[str | None]
    first_name: Mapped[str | None]
    last_name: Mapped[str]
    title: Mapped[str | None]
    email: Mapped[str | None]
    phone: Mapped[str | None]
    mobile: Mapped[str | None]
    street: Mapped[str | None]
    city: Mapped[str | None]
    postcode: Mapped[str | None]
    country: Mapped[str | None]
    owner_id: Mapped[str | None]
    description: Mapped[str | None]
    source_id: Mapped[str | None]


class Lead(Synced, Base):
    __table__ = tables.leads
    first_name: Mapped[str | None]
    last_name: Mapped[str]
    company: Mapped[str | None]
    title: Mapped[str | None]
    email: Mapped[str | None]
    phone: Mapped[str | None]
    street: Mapped[str | None]
    city: Mapped[str | None]
    postcode: Mapped[str | None]
    country: Mapped[str | None]
    source: Mapped[str | None]
    status: Mapped[str]
    score: Mapped[int]
    rating: Mapped[str]
    owner_id: Mapped[str | None]
    territory_id: Mapped[str | None]
    description: Mapped[str | None]
    converted_at: Mapped[datetime | None]
    converted_account_id: Mapped[str | None]
    converted_contact_id: Mapped[str | None]
    converted_opportunity_id: Mapped[str | None]
    assigned_by_rule_id: Mapped[str | None]
    assigned_from_id: Mapped[str | None]
    source_id: Mapped[str | None]


class PipelineStage(Synced, Base):
    """One stage of the (configurable) opportunity pipeline."""

    __table__ = tables.pipeline_stages
    name: Mapped[str]
    position: Mapped[int]
    probability: Mapped[int]
    is_won: Mapped[bool]
    is_lost: Mapped[bool]


class Opportunity(Synced, Base):
    __table__ = tables.opportunities
    account_id: Mapped[str]
    contact_id: Mapped[str | None]
    name: Mapped[str]
    stage: Mapped[str]
    amount: Mapped[Decimal | None]
    currency: Mapped[str]
    probability: Mapped[int | None]
    close_date: Mapped[date | None]
    won_lost_reason: Mapped[str | None]
    owner_id: Mapped[str | None]
    description: Mapped[str | None]
    source_id: Mapped[str | None]


class RoutePlan(Synced, Base):
    __table__ = tables.route_plans
    owner_id: Mapped[str | None]
    plan_date: Mapped[date]
    name: Mapped[str | None]
    start_latitude: Mapped[float | None]
    start_longitude: Mapped[float | None]
    end_latitude: Mapped[float | None]
    end_longitude: Mapped[float | None]
    day_start: Mapped[str | None]
    day_end: Mapped[str | None]
    total_distance_m: Mapped[float | None]
    total_duration_s: Mapped[int | None]
    settings: Mapped[dict[str, Any] | None]


class Visit(Synced, Base):
    __table__ = tables.visits
    account_id: Mapped[str]
    contact_id: Mapped[str | None]
    owner_id: Mapped[str | None]
    route_plan_id: Mapped[str | None]
    planned_start: Mapped[datetime | None]
    planned_end: Mapped[datetime | None]
    checkin_at: Mapped[datetime | None]
    checkout_at: Mapped[datetime | None]
    checkin_latitude: Mapped[float | None]
    checkin_longitude: Mapped[float | None]
    checkin_accuracy_m: Mapped[float | None]
    checkin_distance_m: Mapped[float | None]
    checkin_flag: Mapped[str | None]
    outcome: Mapped[str | None]
    notes: Mapped[str | None]
    next_step: Mapped[str | None]


class RouteStop(Synced, Base):
    __table__ = tables.route_stops
    route_plan_id: Mapped[str]
    account_id: Mapped[str]
    position: Mapped[int]
    arrival: Mapped[datetime | None]
    departure: Mapped[datetime | None]
    window_start: Mapped[datetime | None]
    window_end: Mapped[datetime | None]
    service_minutes: Mapped[int]
    travel_s: Mapped[int | None]
    wait_s: Mapped[int | None]
    visit_id: Mapped[str | None]


class Task(Synced, Base):
    __table__ = tables.tasks
    title: Mapped[str]
    description: Mapped[str | None]
    account_id: Mapped[str | None]
    contact_id: Mapped[str | None]
    opportunity_id: Mapped[str | None]
    visit_id: Mapped[str | None]
    due_at: Mapped[datetime | None]
    priority: Mapped[str]
    done: Mapped[bool]
    done_at: Mapped[datetime | None]
    owner_id: Mapped[str | None]
    rule_id: Mapped[str | None]


class Note(Synced, Base):
    """A timeline entry attached to any of the records it names."""

    __table__ = tables.notes
    body: Mapped[str]
    account_id: Mapped[str | None]
    contact_id: Mapped[str | None]
    lead_id: Mapped[str | None]
    opportunity_id: Mapped[str | None]
    visit_id: Mapped[str | None]
    owner_id: Mapped[str | None]


class Outbox(Base):
    """One local change waiting to be pushed to the server.

    Written by the flush hook in the same transaction as the change itself.
    """

    __table__ = tables.outbox
    seq: Mapped[int]
    mutation_id: Mapped[str]
    entity: Mapped[str]
    row_id: Mapped[str]
    op: Mapped[str]
    changes: Mapped[dict[str, Any]]
    base_version: Mapped[int | None]
    created_at: Mapped[datetime]
    state: Mapped[str]
    error: Mapped[str | None]
    refused_at: Mapped[datetime | None]


class Attachment(Synced, Base):
    """A photo or file on an account, a visit or a deal.

    The record syncs like any other; the bytes are a content-addressed blob (its SHA-256)
    kept in the data dir (``store/blobs.py``) and uploaded in the background
    (``sync/blobs.py``). ``account_id`` is the account it belongs to, whatever it is
    attached to, so it travels with that account's scope.
    """

    __table__ = tables.attachments
    account_id: Mapped[str]
    parent_entity: Mapped[str]
    parent_id: Mapped[str]
    owner_id: Mapped[str | None]
    filename: Mapped[str]
    content_type: Mapped[str]
    size: Mapped[int]
    sha256: Mapped[str]
    width: Mapped[int | None]
    height: Mapped[int | None]


class Rule(Synced, Base):
    """An automation rule a manager or admin set (fieldapp.domain.rules, store migration 0014).

    ``territory_id`` None: the author's team (everyone for an admin's rule).
    """

    __table__ = tables.rules
    name: Mapped[str]
    kind: Mapped[str]
    enabled: Mapped[bool]
    territory_id: Mapped[str | None]
    outcome: Mapped[str | None]
    days: Mapped[int | None]
    task_title: Mapped[str | None]
    priority: Mapped[str | None]
    owner_id: Mapped[str | None]


class Flag(Synced, Base):
    """A rule's flag on an account ("not visited within its frequency").

    Deleting it clears the flag; the tombstone keeps the rule from flagging the account
    again for the same overdue spell (its id names the spell's last visit).
    """

    __table__ = tables.flags
    account_id: Mapped[str]
    rule_id: Mapped[str]
    visit_id: Mapped[str | None]
    reason: Mapped[str | None]


class BlobUpload(Base):
    """This device's blobs still to send to the server (device state: never synced)."""

    __table__ = tables.blob_uploads
    sha256: Mapped[str]
    size: Mapped[int]
    sent: Mapped[int]
    error: Mapped[str | None]


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
    return model.__table__.name  # type: ignore[attr-defined]

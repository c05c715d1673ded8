"""The closed sets of values some fields take, and what a new record starts with.

The replica's columns (:mod:`fieldapp.store.models`), the field declarations
(:mod:`fieldapp.domain.fields`) and the CRM picklist table
(:mod:`fieldapp.domain.picklists`) all take them from here.
"""

from __future__ import annotations

from typing import Literal

ACCOUNT_TYPES = ("customer", "prospect", "partner")
ACCOUNT_STATUSES = ("active", "inactive")
GEOCODE_PRECISIONS = ("house", "street", "postcode", "town", "manual", "approximate")
LEAD_STATUSES = ("new", "contacted", "qualified", "unqualified", "converted")
LEAD_RATINGS = ("hot", "warm", "cold")
VISIT_OUTCOMES = (
    "successful",
    "follow_up",
    "no_decision",
    "not_interested",
    "no_show",
    "rescheduled",
)
# What a check-in's position says about it (fieldapp.domain.visits.checkin_flag).
CheckinFlag = Literal["ok", "far", "no_fix", "no_location"]
CHECKIN_FLAGS: tuple[CheckinFlag, ...] = ("ok", "far", "no_fix", "no_location")
TASK_PRIORITIES = ("low", "normal", "high")
# What a photo or file can be attached to, and the largest one the server stores.
ATTACHMENT_PARENTS = ("accounts", "visits", "opportunities")
MAX_ATTACHMENT_BYTES = 50 * 1024 * 1024
USER_ROLES = ("rep", "manager", "admin")
# What an automation rule does (fieldapp.domain.rules).
RULE_KINDS = ("follow_up", "overdue_flag", "lead_assign")

DEFAULT_ACCOUNT_TYPE = "prospect"
DEFAULT_ACCOUNT_STATUS = "active"
DEFAULT_LEAD_STATUS = "new"
DEFAULT_LEAD_RATING = "cold"
DEFAULT_TASK_PRIORITY = "normal"
DEFAULT_USER_ROLE = "rep"
DEFAULT_CURRENCY = "EUR"

# Longest CRM record id kept (``source_id``): Salesforce's are 18 characters,
# Dynamics' GUIDs 38 with braces.
SOURCE_ID_LENGTH = 64

# What CSV import and export handle.
IMPORTABLE = ("accounts", "contacts", "leads", "opportunities")
EXPORTABLE = (*IMPORTABLE, "visits", "tasks")

# The opportunity stages every replica and the server start with (migration 0002 of
# the replica seeds them with fixed ids); admins may rename or add stages later.
DEFAULT_STAGES = (
    "Prospecting",
    "Qualification",
    "Needs Analysis",
    "Proposal",
    "Negotiation",
    "Closed Won",
    "Closed Lost",
)

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
# The same stages with their fixed ids (as the replica's migration 0002 seeds them),
# position, probability in percent, won, lost: the server's reports start from these
# and apply the pipeline_stages records it holds (an admin's changes) over them.
DEFAULT_PIPELINE = (
    ("5c0a3d1e-0000-4000-8000-000000000001", "Prospecting", 1, 10, False, False),
    ("5c0a3d1e-0000-4000-8000-000000000002", "Qualification", 2, 20, False, False),
    ("5c0a3d1e-0000-4000-8000-000000000003", "Needs Analysis", 3, 40, False, False),
    ("5c0a3d1e-0000-4000-8000-000000000004", "Proposal", 4, 60, False, False),
    ("5c0a3d1e-0000-4000-8000-000000000005", "Negotiation", 5, 80, False, False),
    ("5c0a3d1e-0000-4000-8000-000000000006", "Closed Won", 6, 100, True, False),
    ("5c0a3d1e-0000-4000-8000-000000000007", "Closed Lost", 7, 0, False, True),
)

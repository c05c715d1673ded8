"""CRM picklist values and what they mean in fieldapp: one table for every import.

Salesforce, HubSpot and Dynamics 365 exports write their own labels for an account's
type, a lead's status or a deal's stage ("Customer - Direct", "Marketing Qualified
Lead", "3-Propose"). An import on the laptop or on the server reads a cell as
fieldapp's own value when it is one (any case, spaces for underscores), else looks it
up here; what is in neither is reported once per value with the ``--map-value`` flag
that says what it means. Labels that carry no answer ("Other", "Vendor",
"Competitor") are left out on purpose: the person importing decides.

Industry labels, lead sources and won/lost reasons are free text in fieldapp and are
kept as the file writes them.
"""

from __future__ import annotations

import re

from fieldapp.domain import values as v

_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


def normalise(label: str) -> str:
    """A label as the table keys it: lower case, words of letters and digits only."""
    return " ".join(_NOT_ALNUM.sub(" ", label.lower()).split())


_ACCOUNT_TYPE = {
    # Salesforce Account.Type
    "Prospect": "prospect",
    "Customer - Direct": "customer",
    "Customer - Channel": "customer",
    "Channel Partner / Reseller": "partner",
    "Installation Partner": "partner",
    "Technology Partner": "partner",
    # HubSpot company "Type"
    "Reseller": "partner",
    # HubSpot "Lifecycle Stage" (companies and contacts)
    "Subscriber": "prospect",
    "Lead": "prospect",
    "Marketing Qualified Lead": "prospect",
    "Sales Qualified Lead": "prospect",
    "Opportunity": "prospect",
    "Evangelist": "customer",
    "marketingqualifiedlead": "prospect",  # the internal names some exports carry
    "salesqualifiedlead": "prospect",
    # Dynamics 365 account "Relationship Type"
    "Channel Partner": "partner",
}

_LEAD_STATUS = {
    # Salesforce Lead.Status
    "Open - Not Contacted": "new",
    "Working - Contacted": "contacted",
    "Closed - Converted": "converted",
    "Closed - Not Converted": "unqualified",
    # HubSpot "Lead Status"
    "Open": "new",
    "In Progress": "contacted",
    "Attempted to Contact": "contacted",
    "Connected": "contacted",
    "Open Deal": "qualified",
    "Bad Timing": "unqualified",
    # Dynamics 365 lead "Status" and "Status Reason"
    "Disqualified": "unqualified",
    "Lost": "unqualified",
    "Cannot Contact": "unqualified",
    "No Longer Interested": "unqualified",
    "Canceled": "unqualified",
}

# Onto the stages every pipeline starts with (values.DEFAULT_STAGES).
_STAGE = {
    # Salesforce Opportunity.StageName
    "Value Proposition": "Needs Analysis",
    "Id. Decision Makers": "Needs Analysis",
    "Perception Analysis": "Proposal",
    "Proposal/Price Quote": "Proposal",
    "Negotiation/Review": "Negotiation",
    # HubSpot's default deal pipeline (labels and internal names)
    "Appointment Scheduled": "Prospecting",
    "Qualified To Buy": "Qualification",
    "Presentation Scheduled": "Needs Analysis",
    "Decision Maker Bought-In": "Proposal",
    "Contract Sent": "Negotiation",
    "appointmentscheduled": "Prospecting",
    "qualifiedtobuy": "Qualification",
    "presentationscheduled": "Needs Analysis",
    "decisionmakerboughtin": "Proposal",
    "contractsent": "Negotiation",
    "closedwon": "Closed Won",
    "closedlost": "Closed Lost",
    # Dynamics 365 "Pipeline Phase" / sales stage, and a closed opportunity's "Status"
    "1-Qualify": "Qualification",
    "2-Develop": "Needs Analysis",
    "3-Propose": "Proposal",
    "4-Close": "Negotiation",
    "Qualify": "Qualification",
    "Develop": "Needs Analysis",
    "Propose": "Proposal",
    "Won": "Closed Won",
    "Out-Sold": "Closed Lost",
}

# (entity, field) -> {normalised CRM label: fieldapp value}
PICKLISTS: dict[tuple[str, str], dict[str, str]] = {
    ("accounts", "type"): {normalise(k): value for k, value in _ACCOUNT_TYPE.items()},
    ("leads", "status"): {normalise(k): value for k, value in _LEAD_STATUS.items()},
    ("opportunities", "stage"): {normalise(k): value for k, value in _STAGE.items()},
}

# What a suggested ``--map-value`` proposes for a value nobody knows: the field's
# default, which is what a record gets when the column is left out.
SUGGESTIONS: dict[tuple[str, str], str] = {
    ("accounts", "type"): v.DEFAULT_ACCOUNT_TYPE,
    ("accounts", "status"): v.DEFAULT_ACCOUNT_STATUS,
    ("leads", "status"): v.DEFAULT_LEAD_STATUS,
    ("leads", "rating"): v.DEFAULT_LEAD_RATING,
    ("opportunities", "stage"): v.DEFAULT_STAGES[0],
}


def crm_value(entity: str, field: str, label: str) -> str | None:
    """fieldapp's value for a CRM's picklist ``label``, or None if the table has none."""
    table = PICKLISTS.get((entity, field))
    return None if table is None else table.get(normalise(label))

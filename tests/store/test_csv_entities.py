"""Contacts, leads and opportunities from CRM exports, linked to their accounts."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from fieldapp.errors import FieldappError
from fieldapp.store import services
from fieldapp.store.db import Replica
from tests.store.test_csv_crm import by_name, imported
from tests.store.test_csv_io import DATA


@pytest.fixture
def with_accounts(replica: Replica) -> Replica:
    imported(replica, "accounts", DATA / "salesforce_accounts.csv")
    imported(replica, "accounts", DATA / "hubspot_companies.csv")
    return replica


def test_salesforce_contacts_link_by_account_id_or_name(with_accounts: Replica) -> None:
    report = imported(with_accounts, "contacts", DATA / "salesforce_contacts.csv")
    assert (report.imported, report.invalid_rows) == (4, 0)
    accounts = {a["id"]: a["name"] for a in by_name(with_accounts).values()}
    contacts = by_name(with_accounts, "contacts")
    assert {name: accounts[c["account_id"]] for name, c in contacts.items()} == {
        "Müller": "Müller Bau GmbH",  # "Account ID": the account's Salesforce id
        "Becker": "Müller Bau GmbH",
        "Schröder": "Schröder Elektro",
        "Wang": "Datawerk AG",  # no Account ID: by its name
    }
    assert contacts["Müller"]["mobile"] == "+49 151 23456789"
    assert contacts["Müller"]["source_id"] == "0035g00000XyZaAAAR"
    again = imported(with_accounts, "contacts", DATA / "salesforce_contacts.csv")
    assert (again.imported, again.matched["source id"]) == (0, 4)


def test_a_contact_of_an_unknown_or_ambiguous_account_is_refused(
    with_accounts: Replica, tmp_path: Path
) -> None:
    with with_accounts.session() as session:
        services.create(session, "accounts", {"name": "Twin GmbH", "city": "Ulm"})
        services.create(session, "accounts", {"name": "Twin GmbH", "city": "Jena"})
    path = tmp_path / "contacts.csv"
    path.write_text(
        "Last Name,Account ID,Account Name\n"
        "Ghost,0015g00000NoSuchAAV,\n"
        "Twin,,Twin GmbH\n"
        "Nobody,,No Such AG\n"
        "Free,,\n",
        encoding="utf-8",
    )
    report = imported(with_accounts, "contacts", path, skip_invalid=True)
    assert [(e.row, e.field, e.message) for e in report.invalid] == [
        (1, "account", "no account with id or source id '0015g00000NoSuchAAV' "
         "(import the accounts first)"),
        (2, "account", "more than one account is named 'Twin GmbH'; give the account's id"),
        (3, "account", "no account named 'No Such AG' (import the accounts first)"),
    ]  # fmt: skip
    assert report.imported == 1  # a contact needs no account
    assert by_name(with_accounts, "contacts")["Free"]["account_id"] is None


def test_salesforce_leads_map_status_and_rating(replica: Replica) -> None:
    report = imported(replica, "leads", DATA / "salesforce_leads.csv")
    assert (report.imported, report.unknown_values) == (3, [])
    leads = by_name(replica, "leads")
    assert {n: (lead["status"], lead["rating"], lead["source"]) for n, lead in leads.items()} == {
        "Vogel": ("new", "hot", "Trade Show"),  # Open - Not Contacted
        "Hahn": ("contacted", "warm", "Web"),  # Working - Contacted
        "Yılmaz": ("unqualified", "cold", "Phone Inquiry"),  # Closed - Not Converted
    }
    assert leads["Vogel"]["description"] == "Met at the fair;\nwants a quote"


def test_salesforce_opportunities_map_stages_onto_the_pipeline(with_accounts: Replica) -> None:
    report = imported(with_accounts, "opportunities", DATA / "salesforce_opportunities.csv")
    assert (report.imported, report.invalid_rows) == (4, 0)
    deals = by_name(with_accounts, "opportunities")
    assert {n: (d["stage"], d["probability"]) for n, d in deals.items()} == {
        "Müller — Heizungen 2027": ("Needs Analysis", 50),  # Value Proposition; its own 50 %
        "Schröder — Rahmenvertrag": ("Negotiation", 80),  # no probability: the stage's
        "Rheinhandel — Pilot": ("Closed Lost", 0),
        "Café Zoë — Kaffeemaschinen": ("Proposal", 60),  # Proposal/Price Quote
    }
    assert deals["Schröder — Rahmenvertrag"]["amount"] == Decimal("125000.50")
    assert deals["Rheinhandel — Pilot"]["won_lost_reason"] == "Price"


def test_hubspot_deals_by_company_name(with_accounts: Replica) -> None:
    report = imported(with_accounts, "opportunities", DATA / "hubspot_deals.csv")
    assert report.imported == 3
    deals = by_name(with_accounts, "opportunities")
    assert [deals[n]["stage"] for n in sorted(deals)] == [
        "Negotiation",  # Hansa: Contract Sent
        "Prospecting",  # Nordlicht: Appointment Scheduled
        "Closed Lost",  # Weser
    ]
    assert deals["Weser — Lizenzen"]["won_lost_reason"] == "Went with a competitor"


def test_an_unknown_stage_is_reported_with_a_stage_of_the_pipeline(
    with_accounts: Replica, tmp_path: Path
) -> None:
    path = tmp_path / "deals.csv"
    path.write_text(
        "Opportunity Name,Account Name,Stage\n"
        "One,Datawerk AG,Verbal Commitment\nTwo,Datawerk AG,verbal commitment\n",
        encoding="utf-8",
    )
    report = imported(with_accounts, "opportunities", path)
    assert [(u.value, u.rows, u.suggestion) for u in report.unknown_values] == [
        ("Verbal Commitment", 2, "--map-value 'Stage:Verbal Commitment=Prospecting'")
    ]
    report = imported(
        with_accounts, "opportunities", path, value_maps=["Stage:Verbal Commitment=negotiation"]
    )
    assert report.imported == 2
    assert {d["stage"] for d in by_name(with_accounts, "opportunities").values()} == {"Negotiation"}


def test_opportunities_need_an_account_column(with_accounts: Replica, tmp_path: Path) -> None:
    path = tmp_path / "loose.csv"
    path.write_text("Opportunity Name,Stage\nLoose,Prospecting\n", encoding="utf-8")
    with pytest.raises(FieldappError, match="which account each opportunity belongs to"):
        imported(with_accounts, "opportunities", path)

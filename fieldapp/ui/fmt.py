"""How the app writes dates, times and amounts: one place, from the user's locale.

Every screen formats through these functions, so a German laptop shows 24.11.2026 and
"12.000,00 €" everywhere and an American one 11/24/2026 and "$12,000.00". The locale is
Qt's default (:class:`QLocale`), which is the system's unless a test or a setting
changed it with ``QLocale.setDefault``. Times are shown in the laptop's time zone.

Amounts are always written with their own currency, and totals are kept per currency
(:func:`money_totals`): euros and dollars are never added up.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from PySide6.QtCore import QDate, QDateTime, QLocale, QTime

ISO_DATE = "yyyy-MM-dd"
_TWO_DIGIT_YEAR = re.compile(r"(?<!y)yy(?!y)")


def _locale() -> QLocale:
    return QLocale()


def _is_c(locale: QLocale) -> bool:
    # The C locale writes "24 11 2026"; ISO order reads better for a machine default.
    return locale.language() == QLocale.Language.C


def date_format() -> str:
    """The locale's short date pattern, with a four-digit year (for editors and labels)."""
    locale = _locale()
    if _is_c(locale):
        return ISO_DATE
    return _TWO_DIGIT_YEAR.sub("yyyy", locale.dateFormat(QLocale.FormatType.ShortFormat))


def time_format() -> str:
    return _locale().timeFormat(QLocale.FormatType.ShortFormat)


def datetime_format() -> str:
    return f"{date_format()} {time_format()}"


def qdate(value: date) -> QDate:
    return QDate(value.year, value.month, value.day)


def qdatetime(value: datetime) -> QDateTime:
    """An aware (or naive local) datetime as a QDateTime in the laptop's zone."""
    return QDateTime.fromSecsSinceEpoch(int(value.timestamp()))


def pydate(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


def pydatetime(value: QDateTime) -> datetime:
    """What a date-time editor shows (local time) as an aware datetime."""
    return datetime.fromtimestamp(value.toSecsSinceEpoch()).astimezone()


def fmt_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone().date()
    return _locale().toString(qdate(value), date_format())


def fmt_time(value: datetime | None) -> str:
    if value is None:
        return ""
    local = value.astimezone()
    return _locale().toString(QTime(local.hour, local.minute), time_format())


def fmt_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    return f"{fmt_date(value)} {fmt_time(value)}"


def fmt_long_date(value: date) -> str:
    """ "Tuesday, 24 November 2026" in the user's language."""
    return _locale().toString(qdate(value), QLocale.FormatType.LongFormat)


def fmt_number(value: Decimal | float | int, decimals: int = 2) -> str:
    return _locale().toString(float(value), "f", decimals)


@cache
def _babel_locale(name: str) -> Any:
    from babel import Locale, UnknownLocaleError

    try:
        return Locale.parse(name)
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en_US_POSIX")


def prepare_money() -> None:
    """Load babel's data for the user's locale (about 0.1 s the first time).

    Call it from a background job whose results will be shown as money, so the GUI
    thread does not pay for it.
    """
    fmt_money(Decimal(0), "EUR")


def fmt_money(amount: Decimal | None, currency: str | None) -> str:
    """``amount`` in ``currency`` (an ISO code; EUR when a record has none), e.g. "12.000,00 €"."""
    if amount is None:
        return ""
    # babel knows each currency's symbol, digits and where the locale puts them; it is
    # imported on first use so start-up does not pay for its locale data.
    from babel.numbers import format_currency

    locale = _locale()
    # The C locale has no currency conventions; plain English ones read best.
    name = "en" if _is_c(locale) else locale.name()
    return str(format_currency(amount, currency or "EUR", locale=_babel_locale(name)))


def fmt_money_short(amount: Decimal, currency: str | None) -> str:
    """``amount`` rounded to its magnitude for a narrow column: "€28.8M", "12,3 Mio. €"."""
    from babel.numbers import format_compact_currency

    locale = _locale()
    name = "en" if _is_c(locale) else locale.name()
    return str(
        format_compact_currency(
            amount, currency or "EUR", locale=_babel_locale(name), fraction_digits=1
        )
    )


def currency_totals(items: Iterable[tuple[Decimal | None, str | None]]) -> dict[str, Decimal]:
    """Sums per currency code, in code order; amounts without a value count as nothing."""
    totals: dict[str, Decimal] = {}
    for amount, currency in items:
        code = currency or "EUR"
        totals[code] = totals.get(code, Decimal(0)) + (amount or Decimal(0))
    return dict(sorted(totals.items()))


def money_totals(items: Iterable[tuple[Decimal | None, str | None]], empty: str = "") -> str:
    """Totals per currency written out: "12.000,00 € · 5.000,00 $" (never one mixed sum)."""
    totals = currency_totals(items)
    return " · ".join(fmt_money(v, c) for c, v in totals.items()) or empty


def amount_text(amount: Decimal | None) -> str:
    """An amount as the user types it in their locale: "12000,50" in German (no grouping)."""
    if amount is None:
        return ""
    return f"{amount:.2f}".replace(".", _locale().decimalPoint())


def canonical_amount(text: str) -> str:
    """What the user typed, in their locale, as the store reads amounts ("12000.50").

    The locale's decimal mark becomes a point; group separators go, but only where they
    group thousands ("12.000,50" in German, "12,000.50" in English), so that "7,5" in an
    English locale is not quietly read as 75. Anything else is left as typed, for the
    store's rule to say what is wrong with it.
    """
    locale = _locale()
    point, group = locale.decimalPoint(), locale.groupSeparator()
    cleaned = text.strip()
    for space in (" ", "\xa0", "\u202f"):
        cleaned = cleaned.replace(space, "" if group != space else group)
    whole, sep, fraction = cleaned.partition(point)
    if group and group in whole:
        if not re.fullmatch(rf"[0-9]{{1,3}}({re.escape(group)}[0-9]{{3}})+", whole):
            return text
        whole = whole.replace(group, "")
    return whole + ("." + fraction if sep else "")


def display(value: Any) -> str:
    """A stored value for a read-only view (a list, a label), in the user's locale."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return fmt_datetime(value)
    if isinstance(value, date):
        return fmt_date(value)
    if isinstance(value, Decimal):
        return fmt_number(value)
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, bool):
        return "yes" if value else ""
    return str(value)

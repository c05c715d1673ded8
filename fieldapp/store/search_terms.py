"""What a typed query becomes in FTS5: folded words and a phone number's spellings.

The search indexes (migration 0012) hold each text column as the tokenizer sees it
(lower case, accents dropped: "Bäckerei" → "backerei"), a ``folded`` column with
umlauts written out ("baeckerei") and a ``phone_digits`` column with each phone
number's digits only. A word is looked up both ways, so "bäck", "baeck" and "back"
all find "Bäckerei", and "Strasse" finds "Straße". A query that looks like a phone
number is also looked up by its digits, in every spelling of the same number
(+49 228 …, 0049 228 …, 0228 …), because people write numbers every way there is.
"""

from __future__ import annotations

import re
import unicodedata

from fieldapp.domain.parse import default_phone_region

_WORD = re.compile(r"\w+", re.UNICODE)
# Digits with the marks people put between them; at least three digits in all.
_PHONE_LIKE = re.compile(r"^\+?[\d\s()\-/.]+$")
MIN_PHONE_DIGITS = 3
UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "ẞ": "ss"})


def words(query: str) -> list[str]:
    return _WORD.findall(query)


def strip_accents(word: str) -> str:
    """What the unicode61 tokenizer with remove_diacritics makes of a word."""
    decomposed = unicodedata.normalize("NFD", word.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def spelled_out(word: str) -> str:
    """Umlauts and ß written out (ä → ae, ß → ss), then accents dropped."""
    return strip_accents(word.lower().translate(UMLAUTS))


def word_term(word: str) -> str:
    """One word as an FTS5 prefix term, in both spellings when they differ."""
    forms = list(dict.fromkeys((strip_accents(word), spelled_out(word))))
    if len(forms) == 1:
        return f'"{forms[0]}"*'
    return "(" + " OR ".join(f'"{form}"*' for form in forms) + ")"


def digit_spellings(query: str, region: str | None = None) -> list[str]:
    """The digit strings a phone number written as ``query`` may be stored as.

    Empty unless ``query`` looks like (part of) a phone number. A national number
    ("0228 12") gives its international forms too ("4922812", "004922812") and the
    other way round, so a number stored either way is found as a prefix.
    """
    text = query.strip()
    if not _PHONE_LIKE.match(text):
        return []
    digits = re.sub(r"\D", "", text)
    if len(digits) < MIN_PHONE_DIGITS:
        return []
    spellings = [digits]
    # Imported here: phonenumbers' metadata takes longer to load than a search runs,
    # and only a query made of digits needs it.
    import phonenumbers

    try:
        number = phonenumbers.parse(text, region or default_phone_region())
    except phonenumbers.NumberParseException:
        return spellings
    significant = phonenumbers.national_significant_number(number)
    international = f"{number.country_code}{significant}"
    # The trunk prefix the number's country dials nationally ("0" in Germany).
    region_code = phonenumbers.region_code_for_country_code(number.country_code or 0)
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region_code)
    prefix = (metadata.national_prefix or "") if metadata else ""
    spellings += [international, "00" + international, prefix + significant, significant]
    return list(dict.fromkeys(spellings))


def fts_query(query: str, *, phone_column: str | None = "phone_digits") -> str | None:
    """Turn what a person typed into an FTS5 query: each word a prefix, both spellings.

    With ``phone_column``, a query that looks like a phone number also matches any
    of its digit spellings in that column.
    """
    found = words(query)
    if not found:
        return None
    match = " AND ".join(word_term(w) for w in found)
    spellings = digit_spellings(query) if phone_column else []
    if not spellings:
        return match
    digits = " OR ".join(f'"{s}"*' for s in spellings)
    return f"({match}) OR ({{{phone_column}}} : ({digits}))"

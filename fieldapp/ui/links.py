"""Phone numbers, email addresses and web sites as links: tel:, mailto:, the browser.

Every link goes out through :func:`open_url` (``QDesktopServices.openUrl``), which hands
it to the system: the dialler or softphone for ``tel:``, the mail client for
``mailto:``, the browser for the web. Tests register a handler for a scheme with
``QDesktopServices.setUrlHandler`` and receive the URL instead.
"""

from __future__ import annotations

import re
from html import escape
from urllib.parse import quote

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QLabel, QWidget

from fieldapp.ui import style

_DIAL_JUNK = re.compile(r"[^0-9+*#]")


def tel_url(number: str) -> QUrl:
    """``tel:+49221123456`` (RFC 3966: the digits and a leading plus, nothing else)."""
    return QUrl("tel:" + _DIAL_JUNK.sub("", number))


def mailto_url(address: str, subject: str = "", body: str = "") -> QUrl:
    """``mailto:`` with the subject and body percent-encoded (RFC 6068; CRLF line ends)."""
    query = []
    if subject:
        query.append("subject=" + quote(subject, safe=""))
    if body:
        query.append("body=" + quote(body.replace("\r\n", "\n").replace("\n", "\r\n"), safe=""))
    text = "mailto:" + quote(address.strip(), safe="@.+-_")
    if query:
        text += "?" + "&".join(query)
    return QUrl.fromEncoded(text.encode("ascii"))


def web_url(site: str) -> QUrl:
    site = site.strip()
    return QUrl(site if "://" in site else f"https://{site}")


def open_url(url: QUrl) -> bool:
    """Hand ``url`` to the system (or a test's handler); False if nothing took it."""
    return QDesktopServices.openUrl(url)


def _anchor(url: QUrl, text: str) -> str:
    href = escape(url.toString(QUrl.ComponentFormattingOption.FullyEncoded), quote=True)
    return f'<a href="{href}" style="color: {style.link_color()}">{escape(text)}</a>'


def links_html(
    phone: str | None = None,
    mobile: str | None = None,
    email: str | None = None,
    website: str | None = None,
) -> str:
    """Rich text with a link for each of the values given, separated by dots."""
    parts = []
    if phone:
        parts.append("☎ " + _anchor(tel_url(phone), phone))
    if mobile:
        parts.append("☎ " + _anchor(tel_url(mobile), mobile))
    if email:
        parts.append("✉ " + _anchor(mailto_url(email), email))
    if website:
        parts.append(_anchor(web_url(website), website))
    return " &nbsp;·&nbsp; ".join(parts)


def link_label(html: str = "", parent: QWidget | None = None) -> QLabel:
    """A label whose links open through :func:`open_url` (tel:, mailto:, the web)."""
    label = QLabel(html, parent)
    style.set_role(label, "links")
    label.setWordWrap(True)  # a long address must not widen the whole view
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setOpenExternalLinks(False)
    label.setTextInteractionFlags(
        Qt.TextInteractionFlag.LinksAccessibleByMouse
        | Qt.TextInteractionFlag.LinksAccessibleByKeyboard
    )
    label.linkActivated.connect(lambda href: open_url(QUrl(href)))
    return label

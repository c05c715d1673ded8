"""A planned day for other programs: calendar (.ics), GPX and navigation links."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from urllib.parse import quote, urlencode
from xml.sax.saxutils import escape

from fieldapp.maps.day_plan import DayPlan, hhmm


def _ics_time(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _ics_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> str:
    """RFC 5545 lines are at most 75 octets; longer ones continue after CRLF + space."""
    out = []
    raw = line.encode("utf-8")
    while len(raw) > 75:
        cut = 75
        while (raw[cut] & 0xC0) == 0x80:  # never split a UTF-8 sequence
            cut -= 1
        out.append(raw[:cut].decode("utf-8"))
        raw = b" " + raw[cut:]
    out.append(raw.decode("utf-8"))
    return "\r\n".join(out)


def to_ics(plan: DayPlan, *, plan_id: str = "plan", now: datetime | None = None) -> str:
    """One VEVENT per visit and one per drive ("Travel to …"), so calendars show both."""
    stamp = _ics_time(now or datetime.now(UTC))
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//fieldapp//route plan//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
    ]
    for s in plan.stops:
        label = s.name or s.account_id
        if s.travel_s > 0:
            lines += [
                "BEGIN:VEVENT",
                f"UID:{plan_id}-{s.position}-travel@fieldapp",
                f"DTSTAMP:{stamp}",
                f"DTSTART:{_ics_time(plan.at(s.arrival - s.travel_s))}",
                f"DTEND:{_ics_time(plan.at(s.arrival))}",
                f"SUMMARY:{_ics_text(f'Travel to {label}')}",
                f"DESCRIPTION:{_ics_text(f'{round(s.distance_m / 1000, 1)} km')}",
                "TRANSP:OPAQUE",
                "CATEGORIES:Travel",
                "END:VEVENT",
            ]
        desc = f"Stop {s.position}. Travel {round(s.travel_s / 60)} min"
        if s.wait_s:
            desc += f", wait {round(s.wait_s / 60)} min"
        if s.window:
            desc += f". Appointment {hhmm(s.window[0])}–{hhmm(s.window[1])}"
        if s.problem:
            desc += f". WARNING: {s.problem}"
        lines += [
            "BEGIN:VEVENT",
            f"UID:{plan_id}-{s.position}@fieldapp",
            f"DTSTAMP:{stamp}",
            f"DTSTART:{_ics_time(plan.at(s.start))}",
            f"DTEND:{_ics_time(plan.at(s.departure))}",
            f"SUMMARY:{_ics_text(f'Visit: {label}')}",
            f"DESCRIPTION:{_ics_text(desc)}",
            f"GEO:{s.lat:.6f};{s.lon:.6f}",
            f"X-FIELDAPP-ACCOUNT:{s.account_id}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"


def to_gpx(plan: DayPlan, name: str = "fieldapp route") -> str:
    """A GPX 1.1 route (``rte``) through start, every stop and the end, plus waypoints."""
    req = plan.request
    pts = [(req.start[0], req.start[1], "Start", plan.leave)]
    pts += [(s.lat, s.lon, f"{s.position}. {s.name or s.account_id}", s.start) for s in plan.stops]
    pts.append((req.end_point[0], req.end_point[1], "End", plan.back))
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<gpx version="1.1" creator="fieldapp" xmlns="http://www.topografix.com/GPX/1/1">',
    ]
    for s in plan.stops:
        out.append(
            f'  <wpt lat="{s.lat:.6f}" lon="{s.lon:.6f}"><name>{escape(s.name or s.account_id)}'
            f"</name><desc>{hhmm(s.start)}–{hhmm(s.departure)}</desc></wpt>"
        )
    out.append(f"  <rte><name>{escape(name)}</name>")
    for lat, lon, label, when in pts:
        out.append(
            f'    <rtept lat="{lat:.6f}" lon="{lon:.6f}"><name>{escape(label)}</name>'
            f"<time>{plan.at(when).astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}</time></rtept>"
        )
    out += ["  </rte>", "</gpx>", ""]
    return "\n".join(out)


def google_maps_url(plan: DayPlan) -> str:
    """Google Maps directions (``api=1``); it accepts up to 9 waypoints, the rest are cut."""
    req = plan.request
    via = "|".join(f"{s.lat:.6f},{s.lon:.6f}" for s in plan.stops[:9])
    params = {
        "api": "1",
        "origin": f"{req.start[0]:.6f},{req.start[1]:.6f}",
        "destination": f"{req.end_point[0]:.6f},{req.end_point[1]:.6f}",
        "travelmode": "driving",
    }
    if via:
        params["waypoints"] = via
    return "https://www.google.com/maps/dir/?" + urlencode(params, safe=",|")


def osm_directions_url(plan: DayPlan) -> str:
    """OpenStreetMap directions from the start to the first stop (OSM takes two points)."""
    req = plan.request
    to = plan.stops[0] if plan.stops else None
    dest = (to.lat, to.lon) if to else req.end_point
    route = f"{req.start[0]:.6f},{req.start[1]:.6f};{dest[0]:.6f},{dest[1]:.6f}"
    return "https://www.openstreetmap.org/directions?engine=fossgis_osrm_car&route=" + quote(
        route, safe=",;"
    )


def leg_links(plan: DayPlan) -> list[dict[str, str]]:
    """Per leg (start → 1, 1 → 2, …, last → end) OSM and Google links for a navigation app."""
    req = plan.request
    pts = [("Start", req.start)]
    pts += [(f"{s.position}. {s.name or s.account_id}", (s.lat, s.lon)) for s in plan.stops]
    pts.append(("End", req.end_point))
    links = []
    for (a_name, a), (b_name, b) in itertools.pairwise(pts):
        route = f"{a[0]:.6f},{a[1]:.6f};{b[0]:.6f},{b[1]:.6f}"
        links.append(
            {
                "from": a_name,
                "to": b_name,
                "osm": "https://www.openstreetmap.org/directions?engine=fossgis_osrm_car&route="
                + quote(route, safe=",;"),
                "google": "https://www.google.com/maps/dir/?"
                + urlencode(
                    {
                        "api": "1",
                        "origin": f"{a[0]:.6f},{a[1]:.6f}",
                        "destination": f"{b[0]:.6f},{b[1]:.6f}",
                        "travelmode": "driving",
                    },
                    safe=",",
                ),
            }
        )
    return links

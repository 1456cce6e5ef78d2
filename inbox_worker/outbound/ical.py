"""iCalendar: the relationship's dates as an `.ics` file the introduction carries (RFC 5545).

Both people can drop the file into their calendar and see when the
coordinators will check in and when the official year ends. Written by hand
because it is small: CRLF line ends, text escaped, lines folded at 75 octets,
all-day events, and a UID per event that stays the same if the file is sent
again, so calendars update instead of duplicating. The events' days are the
program's own (counted in its time zone), and all-day DATE values keep them
on that day wherever the reader's calendar is; X-WR-TIMEZONE names the zone.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

PRODID = "-//Wyoming Library Association//inbox-worker mentoring program//EN"


@dataclass(frozen=True)
class CalendarEvent:
    uid: str
    day: date
    summary: str
    description: str = ""


def escape_text(value: str) -> str:
    """RFC 5545 3.3.11: backslash, semicolon and comma escaped; any line break becomes \\n."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


def fold(line: str) -> str:
    """RFC 5545 3.1: lines longer than 75 octets continue on the next line after CRLF and a space.

    Folding counts octets of UTF-8, never splitting a character.
    """
    out: list[str] = []
    current, size = "", 0
    limit = 75
    for ch in line:
        width = len(ch.encode("utf-8"))
        if size + width > limit:
            out.append(current)
            current, size = " ", 1  # the leading space counts towards the next line's 75
        current += ch
        size += width
    out.append(current)
    return "\r\n".join(out)


def calendar(events: list[CalendarEvent], *, stamp: datetime, name: str, timezone: str = "") -> bytes:
    """An iCalendar file of all-day events. `stamp` (naive UTC) is when the file was made;
    `timezone`, the program's zone (an IANA name) its days are counted in."""
    dtstamp = stamp.strftime("%Y%m%dT%H%M%SZ")
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
             f"X-WR-CALNAME:{escape_text(name)}"]
    if timezone:
        lines.append(f"X-WR-TIMEZONE:{escape_text(timezone)}")
    for e in events:
        lines += [
            "BEGIN:VEVENT",
            f"UID:{e.uid}",
            f"DTSTAMP:{dtstamp}",
            f"DTSTART;VALUE=DATE:{e.day:%Y%m%d}",
            # DTEND is exclusive: an all-day event ends the next day.
            f"DTEND;VALUE=DATE:{e.day + timedelta(days=1):%Y%m%d}",
            f"SUMMARY:{escape_text(e.summary)}",
        ]
        if e.description:
            lines.append(f"DESCRIPTION:{escape_text(e.description)}")
        lines += ["TRANSP:TRANSPARENT", "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return ("\r\n".join(fold(line) for line in lines) + "\r\n").encode("utf-8")


def relationship_calendar(relationship_id: int, *, assessments: list[date], ends_on: date, program_name: str,
                          domain: str, stamp: datetime, timezone: str = "") -> bytes:
    """The introduction's calendar: each assessment, and the end of the mentoring year."""
    events = [
        CalendarEvent(
            uid=f"relationship-{relationship_id}-assessment-{n}@{domain}", day=day,
            summary=f"{program_name}: assessment {n}",
            description=("The mentoring coordinators check in with both of you today: a few short "
                         "questions by email, answered by reply."))
        for n, day in enumerate(assessments, start=1)
    ]
    events.append(CalendarEvent(
        uid=f"relationship-{relationship_id}-end@{domain}", day=ends_on,
        summary=f"{program_name}: the mentoring year ends",
        description="The official mentoring relationship ends after 12 calendar months; "
                    "we will ask you both for feedback on the program."))
    return calendar(events, stamp=stamp, name=program_name, timezone=timezone)

"""The introduction's calendar file follows RFC 5545: CRLF, escaped text, folded lines, one UID per event."""
from __future__ import annotations

from datetime import date, datetime

from inbox_worker.outbound.ical import CalendarEvent, calendar, escape_text, fold, relationship_calendar


def test_text_is_escaped():
    """Backslash, semicolon, comma and line breaks are escaped as RFC 5545 3.3.11 says."""
    assert escape_text("a\\b; c, d\r\ne\nf") == "a\\\\b\\; c\\, d\\ne\\nf"


def test_long_lines_fold_at_75_octets_without_splitting_a_character():
    """Each physical line is at most 75 octets; unfolding gives the line back."""
    line = "SUMMARY:" + "é" * 100
    folded = fold(line)
    assert all(len(part.encode()) <= 75 for part in folded.split("\r\n"))
    assert folded.replace("\r\n ", "") == line


def test_the_relationship_calendar():
    """Two check-ins and the end as all-day events, each with its own stable UID, CRLF throughout."""
    data = relationship_calendar(7, assessments=[date(2026, 5, 5), date(2026, 9, 5)], ends_on=date(2027, 1, 5),
                                 program_name="WLA Mentoring Program, test", domain="example.org",
                                 stamp=datetime(2026, 1, 5, 9, 0))
    text = data.decode()
    assert text.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert "\n" not in text.replace("\r\n", "")
    assert text.count("BEGIN:VEVENT") == 3
    assert "UID:relationship-7-assessment-1@example.org" in text
    assert "UID:relationship-7-end@example.org" in text
    assert "DTSTART;VALUE=DATE:20260505\r\nDTEND;VALUE=DATE:20260506" in text
    assert "DTSTAMP:20260105T090000Z" in text
    assert "SUMMARY:WLA Mentoring Program\\, test: assessment 2" in text
    again = relationship_calendar(7, assessments=[date(2026, 5, 5), date(2026, 9, 5)], ends_on=date(2027, 1, 5),
                                  program_name="WLA Mentoring Program, test", domain="example.org",
                                  stamp=datetime(2026, 1, 5, 9, 0))
    assert again == data


def test_every_content_line_has_a_name_and_a_value():
    """Every content line is NAME[;PARAMS]:VALUE after unfolding."""
    data = calendar([CalendarEvent("u1@example.org", date(2026, 1, 1), "x" * 200, "line one\nline two")],
                    stamp=datetime(2026, 1, 1), name="n").decode()
    for line in data.replace("\r\n ", "").split("\r\n")[:-1]:
        name = line.split(":", 1)[0]
        assert name and name.split(";")[0].isupper(), line

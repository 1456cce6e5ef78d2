"""The program's own time: `[program] timezone` and `send_hour`.

The database keeps UTC; people in Wyoming read Mountain time. These tests
run a program set to "America/Denver" against the suite's real Dovecot and
aiosmtpd, at instants where the UTC date and the Denver date differ, and
check what people receive: the `Date` header's offset, the days an email and
the CLI name, and the hour scheduled mail waits for. The words for dates
(`outbound/words.py`) and the clock's days (`clock.py`) are checked on their
own below.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from program_world import COORDINATOR, GIA, LOU, Year, text_of

from inbox_worker.clock import local_day, local_time, sending_day, utc_start_of
from inbox_worker.config import ConfigError, ProgramSettings, ScheduleSettings, load_settings
from inbox_worker.mail.outgoing import Envelope, write_email
from inbox_worker.outbound.words import day_for_people, time_for_people
from inbox_worker.program.schedule import ConsentView, digest_period, due

DENVER = ZoneInfo("America/Denver")


@pytest.fixture
def mountain_year(dovecot, imap_user, smtp_server, tmp_path, database_url):
    """The program year's world with the program in Mountain time, mail from 9 in the morning."""
    y = Year(dovecot, imap_user, smtp_server, tmp_path, database_url, timezone="America/Denver", send_hour=9)
    yield y
    y.app.db.dispose()


def offset_of(msg) -> timedelta:
    return msg["Date"].datetime.utcoffset()


def test_mountain_time_in_the_mail_people_receive(mountain_year: Year):
    """GIVEN a program in America/Denver, WHEN a match starts at 03:00 UTC on 6 January (20:00 on the
    5th in Denver) and its year runs, THEN every email's Date header is Mountain time (-0700 in
    winter, -0600 in summer), the check-in days shown are counted from the Denver day (5 May, not
    6 May), and the digest and `matches list` name Denver's days and hours."""
    y = mountain_year
    # Monday 5 January, 09:00 in Denver: the applications are read and the weekly digest goes.
    y.first_suggestions(datetime(2026, 1, 5, 16, 0))
    [(_rcpts, digest)] = y.mail("digest")
    assert offset_of(digest) == timedelta(hours=-7)
    assert digest["Date"].endswith("-0700")
    assert "Monday 5 January 2026" in " ".join(text_of(digest).split())

    # 20:00 on Monday 5 January in Denver (--now is on the program's clock) is 03:00 UTC on the 6th.
    y.cli("matches", "approve", GIA, LOU, "--now", "2026-01-05T20:00", "--by", COORDINATOR)
    evening = datetime(2026, 1, 6, 3, 0)
    assert y.relationship(GIA).approved_at == evening  # the records keep UTC
    y.agree(y.relationship(GIA).id, "2026-01-06T03:00Z")
    y.cycle(evening)
    [intro] = y.to("introduction", GIA)
    assert intro["Date"] == "Mon, 05 Jan 2026 20:00:00 -0700"
    words = " ".join(text_of(intro).split())
    # Four and eight months from the Denver day the match started, and the year ends a year from it.
    assert "from January 5, 2026 to January 5, 2027" in words
    assert "May 5, 2026 and September 5, 2026" in words
    assert "May 6" not in words
    [calendar] = [p for p in intro.iter_attachments() if p.get_content_type() == "text/calendar"]
    ics = calendar.get_content() if isinstance(calendar.get_content(), str) else calendar.get_content().decode()
    assert "DTSTART;VALUE=DATE:20260505" in ics and "X-WR-TIMEZONE:America/Denver" in ics

    y.cycle(datetime(2026, 1, 6, 16, 0))  # the relationship is under way once its introduction went
    listed = " ".join(y.cli("matches", "list", "--now", "2026-05-04T23:00").split())
    assert "next check-in: 1, due Tuesday 5 May" in listed

    # The next Monday's digest tells of the approval at Denver's hour and day.
    y.cycle(datetime(2026, 1, 12, 16, 0))
    [week] = [m for _r, m in y.mail("digest") if "week of Monday 12 January 2026" in m["Subject"]]
    assert "Monday 5 January at 20:00" in " ".join(text_of(week).split())

    # 5 May in Denver, 09:00 MDT: the check-in questions go, their Date in summer time.
    y.cycle(datetime(2026, 5, 5, 15, 0))
    [reminder] = y.to("assessment_reminder", GIA)
    assert offset_of(reminder) == timedelta(hours=-6)
    assert reminder["Date"] == "Tue, 05 May 2026 09:00:00 -0600"


def test_scheduled_mail_waits_for_the_send_hour(mountain_year: Year):
    """GIVEN a check-in due on 5 May in Denver and send_hour 9, WHEN the worker runs on that day
    before 09:00 Mountain time (at midnight UTC, and at 08:59 MDT), THEN nothing goes; at 09:00 MDT
    the questions go, once."""
    y = mountain_year
    y.first_suggestions(datetime(2026, 1, 5, 16, 0))
    started = "2026-01-05T11:00"  # in Denver (18:00 UTC): the match starts on 5 January
    y.cli("matches", "approve", GIA, LOU, "--now", started, "--by", COORDINATOR)
    y.agree(y.relationship(GIA).id, started)
    y.cycle(datetime(2026, 1, 5, 18, 0))
    y.cycle(datetime(2026, 1, 6, 16, 0))
    assert y.relationship(GIA).state == "active"

    y.cycle(datetime(2026, 5, 5, 0, 0))  # midnight UTC: 18:00 on 4 May in Denver
    y.cycle(datetime(2026, 5, 5, 14, 59))  # 08:59 on 5 May in Denver
    assert y.to("assessment_reminder", GIA) == []
    y.cycle(datetime(2026, 5, 5, 15, 0))  # 09:00 MDT
    y.cycle(datetime(2026, 5, 5, 20, 0))
    assert len(y.to("assessment_reminder", GIA)) == 1
    assert len(y.to("assessment_reminder", LOU)) == 1


# ---------------------------------------------------------------- settings
def test_the_time_zone_setting(tmp_path):
    """A zone name is checked when the settings load: a wrong one says what to write; UTC and
    9 o'clock are the defaults."""
    assert ProgramSettings().timezone == "UTC" and ProgramSettings().send_hour == 9
    assert ProgramSettings(timezone="America/Denver").zone == DENVER
    config = tmp_path / "wrong.toml"
    config.write_text('[program]\ntimezone = "Mountain"\n')
    with pytest.raises(ConfigError) as wrong:
        load_settings(config)
    assert "program.timezone" in str(wrong.value) and '"America/Denver"' in str(wrong.value)
    config.write_text('[program]\nsend_hour = 24\n')
    with pytest.raises(ConfigError, match="send_hour"):
        load_settings(config)


def test_the_example_config_sets_mountain_time():
    """The documented example loads, in Mountain time."""
    example = load_settings(Path(__file__).parents[1] / "config.example.toml")
    assert example.program.timezone == "America/Denver"


# ---------------------------------------------------------------- the program's days
@pytest.mark.parametrize(("instant", "zone", "expected"), [
    (datetime(2026, 3, 2, 3, 0), DENVER, date(2026, 3, 1)),  # naive, as stored: UTC
    (datetime(2026, 3, 2, 7, 0), DENVER, date(2026, 3, 2)),  # 00:00 MST
    (datetime(2026, 3, 2, 3, 0, tzinfo=UTC), DENVER, date(2026, 3, 1)),
    (datetime(2026, 3, 2, 3, 0), UTC, date(2026, 3, 2)),
    (datetime(2026, 7, 1, 5, 59), DENVER, date(2026, 6, 30)),  # 23:59 MDT
    (datetime(2026, 7, 1, 6, 0), DENVER, date(2026, 7, 1)),
])
def test_local_day(instant, zone, expected):
    """An instant's day is the one on the clocks of the zone."""
    assert local_day(instant, zone) == expected


@pytest.mark.parametrize(("instant", "expected"), [
    (datetime(2026, 5, 5, 14, 59), date(2026, 5, 4)),  # 08:59 MDT: still yesterday's mail
    (datetime(2026, 5, 5, 15, 0), date(2026, 5, 5)),  # 09:00 MDT
    (datetime(2026, 1, 5, 15, 59), date(2026, 1, 4)),  # 08:59 MST
    (datetime(2026, 1, 5, 16, 0), date(2026, 1, 5)),  # 09:00 MST
    (datetime(2026, 5, 6, 5, 0), date(2026, 5, 5)),  # 23:00 MDT on the 5th
])
def test_sending_day_waits_for_the_hour(instant, expected):
    """Mail due on a day may go from `send_hour` on that day where the program is."""
    assert sending_day(instant, DENVER, 9) == expected


def test_the_start_of_a_day_in_utc():
    """A Denver day begins at 07:00 UTC in winter and 06:00 in summer."""
    assert utc_start_of(date(2026, 1, 5), DENVER) == datetime(2026, 1, 5, 7, 0)
    assert utc_start_of(date(2026, 7, 1), DENVER) == datetime(2026, 7, 1, 6, 0)
    assert local_time(datetime(2026, 7, 1, 6, 0), DENVER).utcoffset() == timedelta(hours=-6)


# ---------------------------------------------------------------- words for people
@pytest.mark.parametrize(("when", "zone", "today", "expected"), [
    (datetime(2026, 3, 2, 3, 0), DENVER, None, "Sunday 1 March 2026"),
    (datetime(2026, 3, 2, 3, 0), UTC, None, "Monday 2 March 2026"),
    (datetime(2026, 3, 2, 3, 0, tzinfo=UTC), DENVER, date(2026, 3, 1), "Sunday 1 March"),
    (datetime(2027, 1, 1, 6, 0), DENVER, date(2027, 1, 1), "Thursday 31 December 2026"),
    # A day is already the program's: written as it is, whatever the zone.
    (date(2026, 5, 5), DENVER, date(2026, 1, 5), "Tuesday 5 May"),
    (None, DENVER, None, ""),
])
def test_day_for_people_in_a_zone(when, zone, today, expected):
    """Instants become the zone's day; days stay themselves."""
    assert day_for_people(when, today, zone) == expected


@pytest.mark.parametrize(("when", "zone", "expected"), [
    (datetime(2026, 1, 6, 3, 0), DENVER, "Monday 5 January at 20:00"),
    (datetime(2026, 7, 6, 3, 0), DENVER, "Sunday 5 July at 21:00"),
    (datetime(2026, 1, 6, 3, 0), UTC, "Tuesday 6 January at 03:00"),
    (datetime(2026, 1, 6, 3, 0, tzinfo=UTC), DENVER, "Monday 5 January at 20:00"),
])
def test_time_for_people_in_a_zone(when, zone, expected):
    """The hour on the zone's clocks, summer time included."""
    assert time_for_people(when, date(2026, 1, 1), zone) == expected


# ---------------------------------------------------------------- the Date header and the digest's week
@pytest.mark.parametrize(("when", "expected"), [
    (datetime(2026, 1, 6, 3, 0), "Mon, 05 Jan 2026 20:00:00 -0700"),
    (datetime(2026, 7, 6, 3, 0), "Sun, 05 Jul 2026 21:00:00 -0600"),
])
def test_the_date_header_carries_the_zones_offset(when, expected):
    """`write_email` turns a stored UTC time into the zone's own, with its offset."""
    envelope = Envelope(from_address="program@example.org", from_name="Program", to=["a@example.org"])
    sent = write_email(envelope, subject="s", text="t", html="<p>t</p>", message_id="<x.1@example.org>",
                       date=when, zone=DENVER)
    assert f"Date: {expected}".encode() in sent.raw


@pytest.mark.parametrize(("instant", "expected"), [
    (datetime(2026, 1, 12, 15, 59), "2026-W02"),  # Monday 08:59 MST: last week's digest still
    (datetime(2026, 1, 12, 16, 0), "2026-W03"),  # Monday 09:00 MST: this week's
    (datetime(2026, 1, 13, 3, 0), "2026-W03"),  # Monday 20:00 MST (Tuesday in UTC)
])
def test_the_digests_week_begins_at_the_send_hour(instant, expected):
    """A Monday digest goes from 09:00 on Monday in Denver, not at midnight UTC."""
    assert digest_period(instant, ScheduleSettings(digest="weekly", digest_weekday=0), DENVER, 9) == expected


def test_what_waits_days_and_runs_out_in_the_night_waits_for_the_morning():
    """A proposal asked at 02:00 in Denver is reminded seven days later at the send hour, not at
    02:00; one asked at 15:00 is reminded seven days later at 15:00."""
    night = ConsentView(7, "protege", datetime(2026, 1, 5, 9, 0))  # 02:00 MST
    afternoon = ConsentView(8, "protege", datetime(2026, 1, 5, 22, 0))  # 15:00 MST
    settings = ScheduleSettings(consent_reminder_days=7)

    def reminded(at: datetime) -> list[int]:
        return [d.subject_id for d in due([], [], at, settings, [night, afternoon], zone=DENVER, send_hour=9)]

    assert reminded(datetime(2026, 1, 12, 9, 0)) == []  # 02:00 on the 12th in Denver
    assert reminded(datetime(2026, 1, 12, 16, 0)) == [7]  # 09:00
    assert reminded(datetime(2026, 1, 12, 21, 59)) == [7]
    assert reminded(datetime(2026, 1, 12, 22, 0)) == [7, 8]  # 15:00

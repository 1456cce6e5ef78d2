"""`inbox-worker applications edit`: a coordinator corrects an application by hand, against the
suite's real Dovecot and aiosmtpd (the `year` world, tests/program_world.py)."""
from __future__ import annotations

import json

from program_world import AMY, FIXTURES, JANUARY_5, text_of
from sqlalchemy import select
from typer.testing import CliRunner

from inbox_worker.cli.main import app as cli_app
from inbox_worker.store.models import Application, ApplicationVersion, Event


def _amy_arrives(year) -> int:
    """Amy's form (tests/fixtures/program/p1-lowe.eml) read from the mailbox: her application's number."""
    year.dovecot.append(year.user, (FIXTURES / "p1-lowe.eml").read_bytes())
    year.cycle(JANUARY_5)
    with year.app.db.unit_of_work() as s:
        return s.scalar(select(Application.id).where(Application.email == AMY))


def _invoke(year, *args: str):
    return CliRunner().invoke(cli_app, [*args, "--config", str(year.config)])


def test_an_edit_changes_the_field_and_keeps_the_earlier_version(year):
    """GIVEN an application read from the mailbox, WHEN a coordinator sets "Phone #" and the library
    type by the form's labels, THEN the record holds the new values, the first version is kept
    unchanged, the event says who changed what, and `applications show` lists both versions with
    the change in the form's words."""
    number = _amy_arrives(year)
    with year.app.db.unit_of_work() as s:
        before = dict(s.get(Application, number).record)
    assert before["phone"] != "307-555-0199"

    out = year.cli("applications", "edit", str(number), "--set", "Phone #=307-555-0199", "--set",
                   "library type=Academic library", "--by", "Dana Coordinator")
    assert "version 2" in out and "Phone number" in out and "307-555-0199" in out

    with year.app.db.unit_of_work() as s:
        app = s.get(Application, number)
        assert app.version == 2
        assert app.record["phone"] == "307-555-0199" and app.record["library_type"] == "academic"
        versions = s.scalars(select(ApplicationVersion).where(ApplicationVersion.application_id == number)
                             .order_by(ApplicationVersion.version)).all()
        assert [v.version for v in versions] == [1, 2]
        assert versions[0].record == before
        assert versions[1].incoming_message_id is None and versions[1].provenance["edited_by"] == "Dana Coordinator"
        event = s.scalar(select(Event).where(Event.action == "application_edited"))
        assert event.actor == "Dana Coordinator"
        assert {c["field"]: (c["old"], c["new"]) for c in event.detail["changed"]}["phone"] == (
            before["phone"], "307-555-0199")

    shown = year.cli("applications", "show", AMY)
    assert "edited by Dana Coordinator" in shown
    assert f"Phone number: {before['phone']} → 307-555-0199" in shown
    assert "from the email of" in shown  # version 1: the message it was read from
    assert "Library Type" in shown and "library_type" not in shown and "None" not in shown

    person = year.cli("people", "show", AMY)  # the person's history: the edit in the form's words
    assert f"Phone number {before['phone']} → 307-555-0199" in person
    for python_words in ("{'", "['", "True", "None"):
        assert python_words not in person


def test_an_invalid_value_is_refused_plainly_and_nothing_changes(year):
    """A library type that is not one of the form's, a phone with no number in it and an unknown
    field are each refused with exit code 2 and one line saying what is allowed; the application
    stays at version 1."""
    number = _amy_arrives(year)
    wrong_type = _invoke(year, "applications", "edit", str(number), "--set", "Library Type=banana")
    assert wrong_type.exit_code == 2
    assert "public, academic, school, special, state, tribal, other" in wrong_type.output
    assert "Traceback" not in wrong_type.output

    wrong_phone = _invoke(year, "applications", "edit", str(number), "--set", "phone=call me")
    assert wrong_phone.exit_code == 2 and "phone number" in wrong_phone.output.lower()

    no_field = _invoke(year, "applications", "edit", str(number), "--set", "Favourite colour=blue")
    assert no_field.exit_code == 2 and "Library Name" in no_field.output

    with year.app.db.unit_of_work() as s:
        assert s.get(Application, number).version == 1
        assert s.scalar(select(Event).where(Event.action == "application_edited")) is None


def test_dry_run_changes_nothing_and_notify_sends_what_changed(year):
    """--dry-run says what would change and leaves the record alone; --notify queues the updated
    acknowledgement, which the SMTP server receives with the change listed by the form's label."""
    number = _amy_arrives(year)
    dry = year.cli("applications", "edit", AMY, "--set", "Library Name=Casper College Library", "--dry-run")
    assert "would change" in dry and "Casper College Library" in dry
    with year.app.db.unit_of_work() as s:
        assert s.get(Application, number).version == 1

    year.cli("applications", "edit", AMY, "--set", "Library Name=Casper College Library", "--notify", "--by", "dana",
             "--now", JANUARY_5.isoformat())
    year.cycle(JANUARY_5)
    updates = year.to("acknowledgement_update", AMY)
    assert len(updates) == 1
    body = text_of(updates[0])
    assert "A coordinator has updated your application" in body
    assert "Library Name:" in body and "→ Casper College Library" in body

    listed = json.loads(year.cli("applications", "show", str(number), "--json"))
    assert [v["version"] for v in listed["versions"]] == [1, 2]

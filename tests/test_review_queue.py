"""The review queue as a workflow: list, done, moved out in a mail program, reprocess; against
the suite's real Dovecot and aiosmtpd (the `year` world, tests/program_world.py)."""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from program_world import AMY, COORDINATOR, FIXTURES, JANUARY_5, text_of
from sqlalchemy import select
from typer.testing import CliRunner

from inbox_worker.cli.main import app as cli_app
from inbox_worker.store.models import Application, Event, IncomingMessage
from inbox_worker.worker import MailSource, run_cycle

QUESTION = Path(__file__).parent / "fixtures" / "intake" / "12-question.eml"


def _open_items(year) -> list[dict]:
    return json.loads(year.cli("review", "list", "--json"))


def _status(year) -> dict:
    return json.loads(year.cli("status", "--json", "--now", JANUARY_5.isoformat()))


def test_a_question_waits_in_the_queue_until_a_coordinator_is_done_with_it(year):
    """GIVEN a question sent to the mailbox, WHEN the worker has run, THEN `review list --json` shows
    it with its sender, subject and reason, and `status` counts it; WHEN a coordinator runs
    `review done N --note`, THEN it leaves the list, status no longer counts it, and the note is kept."""
    year.dovecot.append(year.user, QUESTION.read_bytes())
    year.cycle(JANUARY_5)
    items = _open_items(year)
    assert len(items) == 1
    item = items[0]
    assert item["from"] and item["subject"] != "(no subject)" and item["reason"]
    assert item["application"] is None
    before = _status(year)
    assert before["program"]["figures"]["review_open"] == 1 and len(before["review"]) == 1

    notices = year.to("review_notice", COORDINATOR)
    assert len(notices) == 1 and f"inbox-worker review done {item['id']}" in text_of(notices[0])

    shown = year.cli("review", "show", str(item["id"]))
    assert item["subject"] in shown and "attachments: none" in shown

    out = year.cli("review", "done", str(item["id"]), "--note", "answered by phone", "--by", "dana")
    assert "dealt with" in out
    assert _open_items(year) == []
    after = _status(year)
    assert after["program"]["figures"]["review_open"] == 0 and after["review"] == []
    with year.app.db.unit_of_work() as s:
        event = s.scalar(select(Event).where(Event.action == "review_done"))
        assert event.actor == "dana" and event.detail["note"] == "answered by phone"
    again = year.cli("review", "list")
    assert "nothing is waiting for review" in again


def test_a_message_moved_out_of_the_review_folder_counts_as_done(year):
    """A coordinator moves the question out of the review folder in their mail program (here over
    IMAP); after the next run it is no longer open."""
    year.dovecot.append(year.user, QUESTION.read_bytes())
    year.cycle(JANUARY_5)
    assert len(_open_items(year)) == 1
    review_folder = year.settings.imap.review_folder.replace("/", ".")
    with year.dovecot.client(year.user) as c:
        c.create_folder("Handled")
        c.select_folder(review_folder)
        c.move(c.search(["ALL"]), "Handled")

    year.cycle(JANUARY_5)
    assert _open_items(year) == []
    with year.app.db.unit_of_work() as s:
        event = s.scalar(select(Event).where(Event.action == "review_done"))
        assert "moved out" in event.detail["how"]


def test_a_message_still_in_the_review_folder_stays_open(year):
    """The check at each run closes only what left the folder: an item still there stays open."""
    year.dovecot.append(year.user, QUESTION.read_bytes())
    year.cycle(JANUARY_5)
    year.cycle(JANUARY_5)
    assert len(_open_items(year)) == 1


def test_reprocess_records_an_application_held_by_a_setting_since_changed(year):
    """GIVEN a form set aside because the size limit was lower than the message, WHEN the limit is
    back to its default and a coordinator runs `review reprocess N`, THEN the application is recorded
    (not as a duplicate of the message itself), the message leaves the review folder, and the
    applicant is acknowledged once."""
    small = year.settings.model_copy(update={"imap": year.settings.imap.model_copy(
        update={"max_message_bytes": 600})})
    year.dovecot.append(year.user, (FIXTURES / "p1-lowe.eml").read_bytes())
    run_cycle(dataclasses.replace(year.app, settings=small), MailSource(), JANUARY_5)
    items = _open_items(year)
    assert len(items) == 1 and "too large" in items[0]["reason"]
    with year.app.db.unit_of_work() as s:
        assert s.scalar(select(Application).where(Application.email == AMY)) is None

    tried = year.cli("review", "reprocess", str(items[0]["id"]), "--dry-run", "--now", JANUARY_5.isoformat())
    assert "would be read again: a new application" in tried and "nothing was recorded" in tried
    with year.app.db.unit_of_work() as s:
        assert s.scalar(select(Application).where(Application.email == AMY)) is None
    assert len(_open_items(year)) == 1

    out = year.cli("review", "reprocess", str(items[0]["id"]), "--now", JANUARY_5.isoformat())
    assert "a new application" in out
    with year.app.db.unit_of_work() as s:
        app = s.scalar(select(Application).where(Application.email == AMY))
        assert app is not None and app.name
        row = s.get(IncomingMessage, items[0]["id"])
        assert row.state == "processed" and row.application_id == app.id
        assert row.filed_to == year.settings.imap.processed_folder
    assert _open_items(year) == []
    assert year.dovecot.list_folder(year.user, year.settings.imap.review_folder) == {}

    year.cycle(JANUARY_5)
    assert len(year.to("acknowledgement", AMY)) == 1
    refused = CliRunner().invoke(cli_app, ["review", "reprocess", str(items[0]["id"]), "--config", str(year.config)])
    assert refused.exit_code == 1 and "only messages set aside" in refused.output

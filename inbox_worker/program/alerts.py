"""Telling a person when the worker itself is in trouble: once per incident.

An incident opens at the first failure seen and closes when a health check
(the timer's, or the worker's own after a good cycle) finds nothing wrong.
While it lasts, each address is told at most once: the health timer tells
the operator (or, without one, the coordinators) at once; the worker tells
the coordinators when its mailbox has failed `alerts.failing_minutes` and
email still goes out. The incident is a small file in the state folder, not
a database row, so it can be kept when the database is the trouble. The
email goes straight to the SMTP server, not through the outbox, which a stuck
worker is not draining.
"""
from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from inbox_worker.config import Settings
from inbox_worker.outbound import contexts, words
from inbox_worker.outbound.emails import Envelope, Templates, address_domain, build_message, message_id_for
from inbox_worker.program import health

log = logging.getLogger(__name__)


@dataclass
class Incident:
    since: str
    problems: list[str] = field(default_factory=list)
    # Addresses already told about this incident.
    told: list[str] = field(default_factory=list)


def incident_file(settings: Settings) -> Path:
    return Path(settings.paths.state_dir) / "incidents" / f"{settings.program_key}.json"


def read_incident(settings: Settings) -> Incident | None:
    try:
        return Incident(**json.loads(incident_file(settings).read_text(encoding="utf-8")))
    except FileNotFoundError:
        return None
    except (ValueError, TypeError, OSError):  # unreadable: as if a new incident
        return None


def _save(settings: Settings, incident: Incident) -> None:
    path = incident_file(settings)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with open(fd, "w", encoding="utf-8") as fh:
        json.dump(asdict(incident), fh)
    os.replace(tmp, path)


def close_incident(settings: Settings) -> bool:
    """The trouble is over: the next failure is a new incident, told again. Whether one was open."""
    try:
        incident_file(settings).unlink()
    except FileNotFoundError:
        return False
    log.info("health: the incident is over; a new one will be told again")
    return True


def tell_once(settings: Settings, templates: Templates, recipients: list[str], problems: list[str],
              now: datetime, sender, *, since: datetime | None = None) -> list[str]:
    """Email the problems to those of `recipients` not yet told of this incident; the addresses told.

    A failure to send is logged and the addresses stay untold, to be tried at the next check.
    """
    incident = read_incident(settings) or Incident(since=(since or now).isoformat())
    incident.problems = problems
    wanted = [a for a in dict.fromkeys(a.strip().lower() for a in recipients) if a and a not in incident.told]
    if wanted:
        message = alert_message(settings, templates, wanted, incident, now)
        try:
            with sender as smtp:
                smtp.send(settings.smtp.from_address, wanted, message.raw)
        except Exception as e:
            log.warning("health: could not email %s about the trouble: %s", ", ".join(wanted), e)
            wanted = []
        else:
            incident.told += wanted
            log.info("health: told %s about the trouble", ", ".join(wanted))
    _save(settings, incident)
    return wanted


def alert_message(settings: Settings, templates: Templates, recipients: list[str], incident: Incident,
                  now: datetime):
    context = contexts.worker_alert_context(settings, since=datetime.fromisoformat(incident.since),
                                            problems=incident.problems)
    rendered = templates.render("worker_alert", context)
    envelope = Envelope(from_address=settings.smtp.from_address, from_name=settings.smtp.from_name,
                        to=recipients, auto_submitted="auto-generated")
    key = f"alert:{settings.program_key}:{incident.since}"
    return build_message(rendered, envelope, date=now, zone=settings.program.zone,
                         message_id=message_id_for(key, address_domain(settings.smtp.from_address)))


def operator_addresses(settings: Settings) -> list[str]:
    return [settings.alerts.operator] if settings.alerts.operator else list(settings.program.coordinators)


def after_health_check(settings: Settings, problems: list[str], now: datetime, open_sender) -> list[str]:
    """The health timer's part: open or continue an incident and tell the operator once, or close it."""
    if not problems:
        close_incident(settings)
        return []
    return tell_once(settings, Templates(settings.program.templates_dir), operator_addresses(settings), problems,
                     now, open_sender())


def after_cycle(app, record: health.CycleRecord, now: datetime, open_sender) -> list[str]:
    """The worker's part after each cycle: close the incident when all is well again; tell the
    coordinators once when the mailbox has failed `alerts.failing_minutes` while email still goes out."""
    settings = app.settings
    if record.ok:
        if read_incident(settings) is not None and not health.check(app, now):
            close_incident(settings)
        return []
    if record.smtp_error or not record.failing_since:
        return []
    since = datetime.fromisoformat(record.failing_since)
    if now - since < timedelta(minutes=settings.alerts.failing_minutes):
        return []
    problem = (f"the mailbox has failed since {words.time_for_people(since, zone=settings.program.zone)}, "
               f"{int((now - since).total_seconds() // 60)} minutes: {record.mailbox_error}")
    # The rest of what is wrong, without saying the mailbox's trouble twice.
    others = [p for p in health.check(app, now) if not p.startswith("the last poll")]
    return tell_once(settings, app.templates, list(settings.program.coordinators), [problem, *others], now,
                     open_sender(), since=since)

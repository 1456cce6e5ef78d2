"""A coordinator's correction of an application: `inbox-worker applications edit`.

A field is named by its record key or by the form's own label ("Phone #", "Library Name"), in
any case; each value is checked as the form's readers check it (the same normal forms, the same
lists of options) and a value that does not fit is refused with the values that would. A change
is a new version of the application, as a form sent again would be: the earlier versions are
kept, the missing fields and status are worked out again, an event says who changed what, and
the applicant may be sent the updated acknowledgement showing what changed.

`plan_edit` is pure (a record and `FIELD=VALUE` lines in, the new record and its changes out);
`edit_application` carries a plan out in one unit of work.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox_worker.config import Settings
from inbox_worker.extract import normalize
from inbox_worker.form import CHOICES, LIBRARY_TYPES, LIST_KEYS, RECORD_KEYS, TEXT_FIELD_BY_KEY, field_label
from inbox_worker.outbound.contexts import acknowledgement_context, queue_mail
from inbox_worker.outbound.emails import Templates
from inbox_worker.outbound.words import plain_value
from inbox_worker.record import ApplicationRecord
from inbox_worker.store.database import Database
from inbox_worker.store.models import Application, Event

CHOICE_BY_KEY = {c.key: c for c in CHOICES}
EMAIL_KEYS = ("email", "supervisor_email")


class EditRefused(Exception):
    """The edit cannot be made as asked; the message says why and what is allowed."""


@dataclass(frozen=True)
class FieldChange:
    """One field's value before and after, as stored."""

    key: str
    old: Any
    new: Any

    @property
    def label(self) -> str:
        return field_label(self.key)

    def words(self) -> str:
        """"Phone number: 307-555-0100 → 307-555-0199", in the words the form uses."""
        return f"{self.label}: {shown(self.key, self.old)} → {shown(self.key, self.new)}"


def shown(key: str, value: Any) -> str:
    """A stored value as a person reads it; a blank as "(blank)"."""
    return "(blank)" if value in (None, "", []) else plain_value(key, value)


# ---------------------------------------------------------------- naming a field
def _fold(text: str) -> str:
    return " ".join(text.replace("_", " ").casefold().split()).rstrip(":")


def _names() -> dict[str, str]:
    """Every name a field may be given: its key, its short label, the form's printed label and
    heading, and the other words people use for it. The first name given to a key wins."""
    out: dict[str, str] = {}
    for key in RECORD_KEYS:
        out.setdefault(_fold(key), key)
        out.setdefault(_fold(field_label(key)), key)
    for key, text_field in TEXT_FIELD_BY_KEY.items():
        out.setdefault(_fold(text_field.label), key)
    for choice in CHOICES:
        out.setdefault(_fold(choice.heading), choice.key)
    for key, text_field in TEXT_FIELD_BY_KEY.items():
        for alias in text_field.aliases:
            out.setdefault(_fold(alias), key)
    for alias in CHOICE_BY_KEY["role"].aliases:
        out.setdefault(_fold(alias), "role")
    out.setdefault("supervisor support", "supervisor_support")
    return out


def field_key(name: str) -> str:
    """The record key a coordinator means by `name`."""
    key = _names().get(_fold(name))
    if key is None:
        known = "; ".join(field_label(k) for k in RECORD_KEYS)
        raise EditRefused(f"there is no field called {name!r}. The fields are: {known}")
    return key


# ---------------------------------------------------------------- checking a value
def parse_value(key: str, text: str) -> Any:
    """The value as the record keeps it, checked as the form's readers check it; an empty text
    clears the field."""
    text = text.strip()
    if not text:
        return [] if key in LIST_KEYS else None
    label = field_label(key)
    if key in CHOICE_BY_KEY:
        return _options(key, text)
    if key == "supervisor_support":
        folded = _fold(text)
        if folded in ("yes", "y", "true"):
            return True
        if folded in ("no", "n", "false"):
            return False
        raise EditRefused(f"{label} is yes or no, not {text!r}")
    if key == "library_type":
        # Read as the form's reader reads it ("Public Library", "K-12 school"), but a word that fits
        # no kind is refused rather than taken for the form's catch-all "other".
        value = normalize.library_type(text)
        if value is None or (value == "other" and not _fold(text).startswith("other")):
            raise EditRefused(f"{label} is one of {', '.join(LIBRARY_TYPES)}; not {text!r}")
        return value
    checks = {"phone": (normalize.phone, "a phone number of 7 to 15 digits, like 307-555-0142"),
              "zip": (normalize.zip_code, "5 digits, or ZIP+4 like 82001-1234"),
              "state": (normalize.state, "a US state, like WY or Wyoming"),
              "email": (normalize.email, "an email address, like name@library.org"),
              "supervisor_email": (normalize.email, "an email address, like name@library.org")}
    if key in checks:
        normal_form, allowed = checks[key]
        value = normal_form(text)
        if value is None or (key in EMAIL_KEYS and value != text.lower()):
            raise EditRefused(f"{label} must be {allowed}; {text!r} is not")
        return value
    return normalize.text_value(text) if not TEXT_FIELD_BY_KEY[key].multiline else text


def _options(key: str, text: str) -> str | list[str]:
    """A choice's options named by key, label or alias: one for the role, a list for the categories."""
    choice = CHOICE_BY_KEY[key]
    by_name = {}
    for option in choice.options:
        for name in (option.key, option.label, *option.aliases):
            by_name.setdefault(_fold(normalize.fold_key(name)), option.key)
    parts = [text] if not choice.multiple else [p for p in text.replace(";", ",").split(",") if p.strip()]
    chosen = []
    for part in parts:
        option = by_name.get(_fold(normalize.fold_key(part)))
        if option is None:
            allowed = "; ".join(o.label for o in choice.options)
            how = "one of" if not choice.multiple else "one or more of, separated by commas,"
            raise EditRefused(f"{field_label(key)} is {how} {allowed}; not {part.strip()!r}")
        if option not in chosen:
            chosen.append(option)
    return chosen[0] if not choice.multiple else chosen


def plan_edit(record: dict, assignments: list[str]) -> tuple[dict, list[FieldChange]]:
    """The record with `FIELD=VALUE` assignments made, and what changed (nothing for a value
    that was already so). Refused as a whole when any one is wrong."""
    if not assignments:
        raise EditRefused("say what to change with --set FIELD=VALUE, for example --set \"Phone #=307-555-0199\"")
    new = dict(record)
    for assignment in assignments:
        name, sep, text = assignment.partition("=")
        if not sep or not name.strip():
            raise EditRefused(f"--set {assignment!r} is not FIELD=VALUE, for example --set \"Library Name=Laramie "
                              "County Library\"")
        key = field_key(name)
        new[key] = parse_value(key, text)
    try:
        checked = ApplicationRecord(**{k: new.get(k) for k in RECORD_KEYS if new.get(k) is not None}).contract_dict()
    except ValidationError as e:
        raise EditRefused(f"the record would not be valid: {e.errors()[0]['msg']}") from None
    changes = [FieldChange(k, record.get(k), checked[k]) for k in RECORD_KEYS
               if blank_as_none(record.get(k)) != blank_as_none(checked[k])]
    return checked, changes


def blank_as_none(value: Any) -> Any:
    """None for any blank value (None, "", []), so a blank never counts as a change."""
    return None if value is None or value == "" or value == [] else value


# ---------------------------------------------------------------- carrying it out
@dataclass
class EditResult:
    application_id: int
    email: str
    changes: list[FieldChange]
    version: int | None
    missing: list[str]
    notified: bool = False
    dry_run: bool = False

    def lines(self) -> list[str]:
        if not self.changes:
            return [f"application #{self.application_id} already says that: nothing changed"]
        head = (f"application #{self.application_id} ({self.email}) would change:" if self.dry_run
                else f"application #{self.application_id} ({self.email}) is now version {self.version}:")
        out = [head, *(f"  {c.words()}" for c in self.changes)]
        if self.missing:
            out.append(f"  still missing: {'; '.join(field_label(k) for k in self.missing)}")
        if self.notified:
            out.append(f"  the updated acknowledgement to {self.email} is in the outbox")
        if self.dry_run:
            out.append("nothing was changed (--dry-run)")
        return out


def find_application(s: Session, which: str) -> Application | None:
    key = which.strip().lower()
    if key.lstrip("#").isdigit():
        return s.get(Application, int(key.lstrip("#")))
    return s.scalar(select(Application).where(Application.email == key))


def edit_application(db: Database, settings: Settings, templates: Templates, which: str, assignments: list[str],
                     *, by: str, now: datetime, notify: bool = False, dry_run: bool = False) -> EditResult:
    """Make the edit (or, with `dry_run`, only say what it would be)."""
    with db.unit_of_work() as s:
        app = find_application(s, which)
        if app is None:
            raise EditRefused(f"no application {which!r}; see `inbox-worker applications list`")
        if app.status == "erased":
            raise EditRefused(f"application #{app.id} was erased at the person's request and cannot be edited")
        record, changes = plan_edit(app.record, assignments)
        missing = ApplicationRecord(**record).missing()
        result = EditResult(app.id, app.email, changes, None, missing, dry_run=dry_run)
        if dry_run or not changes:
            return result
        new_email = record.get("email")
        if new_email and new_email != app.email:
            if s.scalar(select(Application.id).where(Application.email == new_email)) is not None:
                raise EditRefused(f"another application already has the email address {new_email}; "
                                  "edit that one instead, or change its address first")
            app.email = new_email
        s.add(app.new_version(record, missing, now=now, provenance={
            c.key: {"value": c.new, "source": "edit", "how": f"edited by {by}"} for c in changes} | {"edited_by": by}))
        s.add(Event(at=now, actor=by, action="application_edited", subject=f"application:{app.id}",
                    detail={"version": app.version, "missing": missing,
                            "changed": [{"field": c.key, "old": c.old, "new": c.new} for c in changes]}))
        result.version, result.email = app.version, app.email
        if notify:
            context = acknowledgement_context(settings.program, record, missing, False, edited=True,
                                              changed=[(c.key, c.old, c.new) for c in changes])
            result.notified = queue_mail(s, settings, templates, key=f"ack:edit:{app.id}:{app.version}",
                                         template="acknowledgement_update", context=context, to=[app.email],
                                         now=now, application_id=app.id) is not None
        return result

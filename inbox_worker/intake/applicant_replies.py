"""An applicant's reply to our mail: which application it is about, and what its own words correct.

A reply is about an application when its In-Reply-To or References names an email of ours about that
application (the outbox keeps which application each one was about), or, naming none of our mail, when
its sender is an applicant. Only the reply's own words are read, above the quoted original and the
signature (`program.consent_answers.own_text`, mail-parser-reply), so our acknowledgement quoted back
corrects nothing. A whole form in those words, or attached, is no correction: it is read as any form is
and becomes a new version of the application, as a form sent again always has.

`ledger.application_answered` finds the application; everything here is a function of values.
"""
from __future__ import annotations

from inbox_worker import form
from inbox_worker.extract.corrections import read_corrections
from inbox_worker.extract.document import Document
from inbox_worker.extract.textform import read_form
from inbox_worker.intake.decide import ApplicantReply, Changes, Matched, changes
from inbox_worker.program.consent_answers import own_text
from inbox_worker.record import ApplicationRecord, Extraction

# What `ApplicationVersion.provenance` says of a version made by a correction.
VIA = "a correction by reply"


def read_reply(matched: Matched, text: str, extraction: Extraction | None) -> ApplicantReply:
    """What a reply about `matched`'s application asks: its own words read for corrections."""
    words = own_text(text)
    whole = extraction is not None and extraction.kind == "application" and (
        not (extraction.part or "body").startswith("body") or _form_in(words))
    if whole:
        return ApplicantReply(matched, words, whole_form=True, command=edit_command(matched.address))
    corrections = read_corrections(words)
    values = corrections.values()
    changed = changes(matched.record, ApplicationRecord(**values)) if values else Changes()
    return ApplicantReply(matched, words, corrections, changes=changed,
                          command=edit_command(matched.address, corrections.named))


def _form_in(words: str) -> bool:
    """Whether the reply's own words hold a whole form (pasted above the quote), not a line or two."""
    return bool(words) and read_form(Document.from_text("reply", words)).looks_like_application()


def corrected(record: dict, reply: ApplicantReply) -> dict:
    """The record with the reply's corrections in it."""
    return dict(record) | {k: v for k, v in reply.corrections.values().items() if k in form.RECORD_KEYS}


def provenance(reply: ApplicantReply, message_id: str) -> dict:
    """Where the new version came from: a correction by reply, each changed field with the words it was read in."""
    return {"via": VIA, "message_id": message_id, "answering": reply.matched.answering, "matched": reply.matched.how,
            "fields": {c.key: {"written": c.written[:500], "how": c.how} for c in reply.corrections.found
                       if c.key in reply.changes.keys}}


def edit_command(address: str, keys: tuple[str, ...] = ()) -> str:
    """`inbox-worker applications edit ADDRESS --set FIELD=VALUE`, the field named by the form's label
    when the reply named just one."""
    label = "FIELD"
    if len(keys) == 1:
        key = keys[0]
        text_field = form.TEXT_FIELD_BY_KEY.get(key)
        label = text_field.label if text_field is not None and key not in ("goals", "strengths") else key
    return f'inbox-worker applications edit {address} --set "{label}=VALUE"'

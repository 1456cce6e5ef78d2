"""Reply commands are obeyed only when the program mailbox's own server vouched for the sender.

GIVEN a digest suggesting matches, and replies to it from a coordinator's address carrying the
  digest's token (tests/fixtures/commands/): with no Authentication-Results, with a passing header
  forged below the server's own, with a header from another server, with DKIM and SPF passing
  for a domain other than the From's, with passes hidden in quoted strings and in comments
WHEN the worker reads them over the real Dovecot and aiosmtpd
THEN every one is refused with its reason and reported, nothing changes, and the token stays
  unspent; a genuine reply naming a number the digest did not suggest is refused without
  spending it; the genuine reply is then carried out, and spends it.
"""
from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from program_world import COORDINATOR, JANUARY_5, SECOND_COORDINATOR, Year, text_of
from sqlalchemy import select

from inbox_worker.store.models import CommandToken, Event, IncomingMessage, MentoringRelationship

FIXTURES = Path(__file__).parent / "fixtures" / "commands"
# Each forgery, and the words its refusal gives.
REFUSED = {
    "no-authentication-results": "carries no Authentication-Results from the receiving server (mx.example.org)",
    "forged-below-trusted": "could not confirm the sender",
    "other-authserv-id": "carries no Authentication-Results from the receiving server (mx.example.org)",
    "misaligned-domain": "could not confirm the sender",
    "quoted-string": "could not confirm the sender",
    "comment": "could not confirm the sender",
}


def _reply(name: str, digest, number: int) -> bytes:
    """A fixture reply to the digest, with the digest's token, Message-ID and `number` filled in."""
    token = re.search(r"Token: (iw1-\S+)", text_of(digest)).group(1)
    raw = (FIXTURES / f"{name}.eml.template").read_text()
    raw = (raw.replace("{token}", token).replace("{digest_message_id}", digest["Message-ID"])
           .replace("{number}", str(number)))
    return raw.replace("\n", "\r\n").encode()


def _token(y: Year) -> CommandToken:
    with y.app.db.unit_of_work() as s:
        [token] = s.scalars(select(CommandToken)).all()
        s.expunge(token)
        return token


def _state(y: Year, number: int) -> str:
    with y.app.db.unit_of_work() as s:
        return s.get(MentoringRelationship, number).state


def test_forged_replies_are_refused_and_a_genuine_one_is_obeyed(year: Year):
    """Six forgeries are refused and reported without spending the token; a genuine reply with a
    number not in the digest is refused and spends nothing; the genuine reply approves the match."""
    y = year
    suggested = y.first_suggestions()
    [(_rcpts, digest)] = y.mail("digest")
    number = suggested[0][0]

    for name in REFUSED:
        y.dovecot.append(y.user, _reply(name, digest, number))
    y.cycle(JANUARY_5 + timedelta(hours=1))

    with y.app.db.unit_of_work() as s:
        refusals = len(s.scalars(select(Event).where(Event.action == "command_refused")).all())
        read = {m.message_id: (m.classification, m.state, m.reason) for m in s.scalars(select(IncomingMessage))}
    assert refusals == len(REFUSED)
    for name, words in REFUSED.items():
        kind, state, reason = read[f"<command-{name}@wla.example>"]
        assert (kind, state) == ("coordinator_command", "review"), name
        assert words in reason, (name, reason)
    assert _state(y, number) == "suggested"
    assert _token(y).used_at is None
    results = [text_of(m) for _r, m in y.mail("command_result")]
    assert len(results) == len(REFUSED) and all("Nothing was changed" in t for t in results)

    not_suggested = max(n for n, _p, _m in suggested) + 100
    y.dovecot.append(y.user, _reply("out-of-scope", digest, not_suggested))
    y.cycle(JANUARY_5 + timedelta(hours=2))
    assert _token(y).used_at is None
    [refused] = [text_of(m) for _r, m in y.mail("command_result")][len(REFUSED):]
    assert f"number {not_suggested} was not among this digest's suggestions" in refused

    y.dovecot.append(y.user, _reply("genuine", digest, number))
    y.cycle(JANUARY_5 + timedelta(hours=3))
    assert _state(y, number) == "proposed"  # each of the pair is now asked by email
    token = _token(y)
    assert token.used_by == COORDINATOR and token.used_at == JANUARY_5 + timedelta(hours=3)
    [done] = [text_of(m) for _r, m in y.mail("command_result")][len(REFUSED) + 1:]
    assert f"APPROVE {number}" in done and "approved" in done
    assert all(set(r) == {COORDINATOR, SECOND_COORDINATOR} for r, _m in y.mail("command_result"))

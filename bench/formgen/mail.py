"""Messages around a form: cover notes, signatures, charsets, wrapping, forwarding and replies."""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

from formgen import wording as w
from formgen.blocks import wrap_lines
from formgen.people import FIRST, LAST, Applicant

COORDINATOR = ("Jolene Pruitt", "jpruitt@wyla.example")
DISCLAIMER = ("CONFIDENTIALITY NOTICE: This e-mail and any attachments are for the sole use of the intended "
              "recipient(s) and may contain confidential information. If you are not the intended recipient, "
              "please contact the sender and destroy all copies.")


def when(rng: random.Random) -> datetime:
    start = datetime(2026, 1, 5, 8, 0, tzinfo=timezone(timedelta(hours=-7)))
    return start + timedelta(minutes=rng.randrange(60 * 24 * 120))


def cover_note(a: Applicant, rng: random.Random, attached: bool) -> list[str]:
    """What people write above the form or beside an attachment."""
    greet = rng.choice(["Hi,", "Hello,", "Dear Mentoring Committee,", "Hi LEAD committee,", "Good morning,", ""])
    if attached:
        body = rng.choice(["Attached is my application for the mentoring program.",
                           "Please find my completed application attached.",
                           "Here is my form. Let me know if you need anything else.",
                           "I've attached the mentoring application. Thank you!"])
    else:
        body = rng.choice(["Here is my application.", "Please see my application below.",
                           "I filled out the form below. Thanks for organizing this!",
                           "My application for this year's program is below.", ""])
    lines = [x for x in (greet, "", body) if x is not None]
    return [x for x in lines if x or lines]


def signature(a: Applicant, rng: random.Random) -> list[str]:
    """A mail signature: sometimes the library's main number, which is not the applicant's."""
    style = rng.randrange(5)
    name = a.record["name"]
    if style == 0:
        return []
    if style == 1:
        return ["", rng.choice(["Thanks,", "Thank you,", "Best,", "Regards,"]), a.first]
    lines = ["", "--", name]
    if a.written.get("position"):
        lines.append(a.written["position"] or "")
    lines.append(a.record["library_name"])
    if style >= 3:
        lines.append(f"Main desk: {a.organisation_phone}")
    if style == 4:
        lines += ["", DISCLAIMER]
    return lines


def flowed(text: str, width: int = 72) -> str:
    """RFC 3676 format=flowed: long lines broken after a space, which marks the break as soft."""
    out = []
    for line in text.split("\n"):
        if line.startswith((" ", ">", "From ")):
            line = " " + line
        while len(line) > width:
            cut = line.rfind(" ", 0, width)
            if cut <= 0:
                break
            out.append(line[:cut + 1])
            line = line[cut + 1:]
        out.append(line.rstrip(" "))
    return "\n".join(out)


def text_part(msg: EmailMessage, text: str, rng: random.Random, allow_flowed: bool = True) -> None:
    """A text/plain body in a charset and transfer encoding people's mail programs use."""
    width = rng.choices([None, 72, 76, 78], [6, 2, 2, 1])[0]
    use_flowed = allow_flowed and width is None and rng.random() < 0.15
    if use_flowed:
        text = flowed(text)
    elif width:
        text = "\n".join(wrap_lines(text.split("\n"), width))
    charset = _charset(text, rng)
    cte = rng.choice(["8bit", "quoted-printable", "base64"]) if charset != "us-ascii" else "7bit"
    msg.set_content(text, charset=charset, cte=cte)
    if use_flowed:
        msg.set_param("format", "flowed")


def _charset(text: str, rng: random.Random) -> str:
    choices = ["utf-8"] * 6
    for candidate in ("windows-1252", "iso-8859-1", "us-ascii"):
        try:
            text.encode(candidate)
        except UnicodeEncodeError:
            continue
        choices += [candidate] * 2
    return rng.choice(choices)


def headers(msg: EmailMessage, name: str, sender: str, subject: str, rng: random.Random) -> None:
    msg["From"] = formataddr((name, sender))
    msg["To"] = w.INBOX
    msg["Subject"] = subject
    msg["Date"] = format_datetime(when(rng))
    msg["Message-ID"] = f"<{rng.getrandbits(64):016x}.{rng.getrandbits(32):08x}@{sender.split('@')[-1]}>"


def subject(rng: random.Random) -> str:
    return rng.choice(["Mentoring application", "Application", "WLA mentoring program", "mentor application",
                       "Application for the mentoring program", "LEAD mentoring", "my form", ""])


def as_bytes(msg: EmailMessage) -> bytes:
    """The message as received, with MIME boundaries numbered so that a seed always gives the same bytes."""
    for n, part in enumerate(p for p in msg.walk() if p.is_multipart()):
        part.set_boundary(f"=_formgen_{n}_boundary_=")
    return msg.as_bytes(policy=policy.SMTP)


# ---------------------------------------------------------------- forwarding and replies


def someone(rng: random.Random) -> tuple[str, str, str]:
    """A colleague or supervisor who forwards a form: name, address, phone."""
    first, last = rng.choice(FIRST), rng.choice(LAST)
    local = "".join(ch for ch in (first[0] + last).lower() if ch.isascii() and ch.isalnum())
    return f"{first} {last}", f"{local}@library.example", f"307-555-{rng.randrange(300, 400):04d}"


def forward_header(a: Applicant, original: EmailMessage, rng: random.Random) -> list[str]:
    """The header block a mail program writes above a forwarded message."""
    date = original["Date"]
    sender = f"{a.record['name']} <{a.sender}>"
    if rng.random() < 0.5:
        return ["---------- Forwarded message ---------", f"From: {sender}", f"Date: {date}",
                f"Subject: {original['Subject']}", f"To: <{w.INBOX}>", ""]
    return ["-----Original Message-----", f"From: {sender}", f"Sent: {date}", f"To: {w.INBOX}",
            f"Subject: {original['Subject']}", ""]


def forward_note(rng: random.Random, who: tuple[str, str, str]) -> list[str]:
    name, address, phone = who
    return [rng.choice(["Hi,", "Hello Jolene,", "FYI -"]), "",
            rng.choice(["Forwarding this application on behalf of my staff member.",
                        "She asked me to send this on for her.", "Please see the application below.",
                        "Passing this along - she had trouble with the address."]),
            "", name, rng.choice(["Library Director", "Branch Manager", "Assistant Director"]), phone, address]


def outlook_quoted(text: str, sender: str, date: str) -> list[str]:
    """A message quoted as Outlook quotes it: a header block under a rule, the text as it was, no "> "."""
    return ["", "________________________________", f"From: {sender}", f"Sent: {date}", f"To: {w.INBOX}",
            "Subject: Mentoring program", "", *text.split("\n")]


def quoted(text: str, sender: str, date: str) -> list[str]:
    """A message quoted under an attribution line, as a reply quotes it."""
    return [f"On {date}, {sender} wrote:"] + [("> " + line).rstrip() for line in text.split("\n")]


def coordinator_question() -> str:
    name, address = COORDINATOR
    return "\n".join(["Hi,", "", "Thanks for your interest in the mentoring program. Could you send your "
                      "application form? The form is attached to our announcement.", "", name,
                      "WLA Mentoring Coordinator", "307-555-0100", address])

"""The sending edge: hand finished messages to an SMTP server, or to a folder.

`SmtpSender.send` returns the server's reply or raises `TemporaryFailure`
(worth retrying later: 4xx replies, connection trouble, timeouts, a refused
login while someone fixes the password) or `PermanentFailure` (5xx: retrying
the same message will not help). The outbox decides what to do with each.
`FolderSender` has the same `send` and writes `.eml` files instead, for
--dry-run and the demo. Passwords never appear in an error or a log line.
"""
from __future__ import annotations

import contextlib
import itertools
import logging
import re
import selectors
import smtplib
import ssl
import time
import unicodedata
from email.header import decode_header, make_header
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Protocol

from inbox_worker.config import SmtpSettings
from inbox_worker.mail.tls import CaFileError, certificate_refused, client_context

log = logging.getLogger(__name__)


class SendFailure(Exception):
    """The message was not sent. `code` is the SMTP reply code, or None if there was no reply."""

    def __init__(self, code: int | None, message: str) -> None:
        super().__init__(f"{code} {message}" if code else message)
        self.code = code
        self.message = message


class TemporaryFailure(SendFailure):
    """Not sent this time; the same message may go through later."""


class LoginFailure(TemporaryFailure):
    """The server refused our login, or mail without the TLS or login it requires: a configuration
    problem, not the message's fault."""


class PermanentFailure(SendFailure):
    """The server refused the message for good (5xx)."""


class Sender(Protocol):
    def send(self, envelope_from: str, recipients: list[str], data: bytes) -> str: ...


def _failure(code: int, reply: bytes | str, doing: str) -> SendFailure:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    cls = TemporaryFailure if code < 500 else PermanentFailure
    return cls(code, f"{' '.join(text.split())} (while {doing})")


class SmtpSender:
    """Sends over SMTP; connects at the first `send` and again whenever the connection was lost."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> SmtpSender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _where(self) -> str:
        return f"{self.settings.host}:{self.settings.port}"

    def _ssl_context(self) -> ssl.SSLContext:
        try:
            return client_context(self.settings.ca_file, "smtp")
        except CaFileError as e:
            # Not this email's fault (no reply code): the outbox keeps it for when the setting is fixed.
            raise TemporaryFailure(None, str(e)) from None

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        if s.security == "none" and s.username and s.host not in ("127.0.0.1", "::1", "localhost"):
            log.warning("smtp.security is none: the login to %s crosses the network unencrypted", s.host)
        ctx = self._ssl_context() if s.security != "none" else None
        smtp: smtplib.SMTP | None = None
        try:
            if s.security == "ssl":
                smtp = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout_seconds, context=ctx)
            else:
                smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout_seconds)
                if s.security == "starttls":
                    smtp.starttls(context=ctx)
            smtp.ehlo_or_helo_if_needed()
            if s.username:
                smtp.login(s.username, s.password.get_secret_value())
        except smtplib.SMTPAuthenticationError as e:
            self._drop(smtp)
            raise LoginFailure(e.smtp_code, f"{self._where()} refused the login as {s.username} "
                               f"({_words(e.smtp_error)}); check INBOX_WORKER_SMTP__PASSWORD (for "
                               f"Gmail, an app password)") from None
        except smtplib.SMTPNotSupportedError:
            self._drop(smtp)
            raise LoginFailure(None, f"{self._where()} does not offer AUTH on this connection; "
                               f"set smtp.security to starttls or ssl") from None
        except ssl.SSLCertVerificationError as e:
            self._drop(smtp)
            raise TemporaryFailure(None, certificate_refused(e, self._where(), "smtp")) from None
        except smtplib.SMTPResponseException as e:
            self._drop(smtp)
            raise _failure(e.smtp_code, e.smtp_error, f"connecting to {self._where()}") from None
        except (OSError, smtplib.SMTPException) as e:
            self._drop(smtp)
            raise TemporaryFailure(None, f"could not connect to {self._where()} ({s.security}): "
                                   f"{_describe(e, s.timeout_seconds)}; check smtp.host, smtp.port "
                                   f"and smtp.security, or wait for the server to come back") from None
        return smtp

    @staticmethod
    def _drop(smtp: smtplib.SMTP | None) -> None:
        if smtp is None:
            return
        with contextlib.suppress(OSError):
            smtp.close()

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is not None:
            if _still_open(self._smtp):
                return self._smtp
            self._drop(self._smtp)
            self._smtp = None
        self._smtp = self._connect()
        return self._smtp

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                self._drop(smtp)

    def send(self, envelope_from: str, recipients: list[str], data: bytes) -> str:
        """Send one message; return the server's reply to DATA, e.g. "250 2.0.0 OK queued"."""
        if not recipients:
            raise PermanentFailure(None, "the message has no recipients")
        smtp = self._connection()
        try:
            return self._transaction(smtp, envelope_from, recipients, data)
        except SendFailure:
            self._reset(smtp)
            raise
        except (OSError, smtplib.SMTPException) as e:
            self._drop(smtp)
            self._smtp = None
            raise TemporaryFailure(None, f"the connection to {self._where()} failed while sending: "
                                   f"{_describe(e, self.settings.timeout_seconds)}") from None

    def _transaction(self, smtp: smtplib.SMTP, envelope_from: str, recipients: list[str],
                     data: bytes) -> str:
        """smtplib's own MAIL, RCPT and DATA (which also dot-stuffs the message), with our decision
        between the last RCPT and DATA: a recipient refused for now holds back the whole message."""
        # An address that would break out of its command is refused before anything is said.
        for address in [envelope_from, *recipients]:
            _check_path(address)
        options = []
        if not data.isascii() and smtp.has_extn("8bitmime"):
            options.append("BODY=8BITMIME")
        if not all(a.isascii() for a in [envelope_from, *recipients]):
            if not smtp.has_extn("smtputf8"):
                raise PermanentFailure(None, f"{self._where()} cannot take non-ASCII addresses (no SMTPUTF8)")
            options.append("SMTPUTF8")
        mail = smtp.mail(envelope_from, options)
        rcpts = [smtp.rcpt(rcpt) for rcpt in recipients] if mail[0] == 250 else []
        refused = self._envelope_accepted(smtp, envelope_from, recipients, mail, rcpts)
        try:
            code, reply = smtp.data(data)
        except smtplib.SMTPDataError as e:  # the server would not start the message
            raise _failure(e.smtp_code, e.smtp_error, "starting the message") from None
        if code != 250:
            raise _failure(code, reply, "sending the message")
        answer = f"{code} {_words(reply)}"
        if refused:
            detail = "; ".join(f"{r}: {c} {_words(t)}" for r, (c, t) in refused.items())
            log.warning("sent, but some recipients were refused for good: %s", detail)
            answer += f" (refused: {detail})"
        return answer

    def _envelope_accepted(self, smtp: smtplib.SMTP, envelope_from: str, recipients: list[str],
                           mail: tuple[int, bytes], rcpts: list[tuple[int, bytes]]) -> dict:
        """The recipients refused for good, if the message may go to the others; else raises."""
        code, reply = mail
        if code == 530:
            # 530 at MAIL is "STARTTLS first" (RFC 3207) or "log in first" (RFC 4954): our settings,
            # not this email, are at fault, so the outbox must keep it rather than give it up.
            if self.settings.security == "none" and ("STARTTLS" in _words(reply).upper()
                                                     or smtp.has_extn("starttls")):
                hint = "the server takes mail only over TLS: set smtp.security to starttls or ssl"
            else:
                hint = "the server takes mail only after a login: set smtp.username and its password"
            raise LoginFailure(code, f"{_words(reply)} (while giving the sender {envelope_from}); {hint}")
        if code != 250:
            raise _failure(code, reply, f"giving the sender {envelope_from}")
        refused = {rcpt: (c, t) for rcpt, (c, t) in zip(recipients, rcpts, strict=True)
                   if c not in (250, 251)}
        # A 4xx refusal means that recipient could get it later: send nothing now and retry the
        # whole message, so nobody gets it twice. 5xx refusals alone will not change: send to the rest.
        if refused and (len(refused) == len(recipients) or any(c < 500 for c, _ in refused.values())):
            temporary = any(c < 500 for c, _ in refused.values())
            detail = "; ".join(f"{r}: {c} {_words(t)}" for r, (c, t) in refused.items())
            code = next((c for c, _ in refused.values() if c < 500), None) if temporary else \
                next(iter(refused.values()))[0]
            cls = TemporaryFailure if temporary else PermanentFailure
            raise cls(code, f"recipients refused: {detail}")
        return refused

    def _reset(self, smtp: smtplib.SMTP) -> None:
        # RSET leaves the connection usable for the next message (unless it was closed instead).
        if self._smtp is not smtp:
            return
        try:
            smtp.rset()
        except (OSError, smtplib.SMTPException):
            self._drop(smtp)
            self._smtp = None


def _still_open(smtp: smtplib.SMTP) -> bool:
    """Whether the server has kept the connection open, asked without a round trip.

    Servers close idle connections between our sends. One that closed it, or said 421 before
    closing, has made the socket readable: between our commands the server has nothing else
    to say. (A NOOP would ask the same, at the cost of a round trip before every email.)
    """
    if smtp.sock is None:
        return False
    # A selector, not select.select, which refuses file descriptors past 1023.
    try:
        with selectors.DefaultSelector() as selector:
            selector.register(smtp.sock, selectors.EVENT_READ)
            return not selector.select(timeout=0)
    except (OSError, ValueError):
        return False


def _check_path(address: str) -> None:
    """Refuse an address that would end or break the SMTP command it is written into, as no address
    holds such characters."""
    if not address or any(c in address for c in "<>\r\n\0") or any(c.isspace() for c in address):
        raise PermanentFailure(None, f"{address!r} is not an address an email can be sent to")


def _words(reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return " ".join(text.split())


def _describe(e: BaseException, timeout: float) -> str:
    if isinstance(e, TimeoutError):
        return f"no answer within {timeout:g} s"
    if isinstance(e, ConnectionRefusedError):
        return "connection refused (is the server running?)"
    return f"{e.__class__.__name__}: {e}" if str(e) else e.__class__.__name__


class FolderSender:
    """Writes each message to `folder` as an .eml file instead of sending it."""

    _counter = itertools.count(1)

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    def __enter__(self) -> FolderSender:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def send(self, envelope_from: str, recipients: list[str], data: bytes) -> str:
        self.folder.mkdir(parents=True, exist_ok=True)
        headers = BytesHeaderParser().parsebytes(data)
        raw_subject = headers.get("Subject")
        subject = str(make_header(decode_header(raw_subject))) if raw_subject else ""
        stem = f"{time.strftime('%Y%m%d-%H%M%S')}-{_slug(recipients[0] if recipients else 'nobody')}"
        if subject:
            stem += f"-{_slug(subject)}"
        # The envelope can differ from To/Cc (Bcc), so it is written down in front of the message.
        envelope = (f"X-Envelope-From: {envelope_from}\r\n"
                    f"X-Envelope-To: {', '.join(recipients)}\r\n").encode()
        while True:
            path = self.folder / f"{stem}-{next(self._counter):04d}.eml"
            try:
                with path.open("xb") as f:  # never overwrite an earlier message
                    f.write(envelope + data)
            except FileExistsError:
                continue
            return f"250 written to {path}"


def _slug(text: str, limit: int = 40) -> str:
    """A piece of a file name that is safe on every system: ASCII letters, digits, '.', '-', '_'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9._@-]+", "-", ascii_text).replace("@", "-at-").strip(".-_")
    return slug[:limit].strip(".-_") or "message"

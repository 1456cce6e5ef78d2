"""Real mail servers for the adapter tests: a Dovecot IMAP server and an aiosmtpd SMTP server.

Both listen on 127.0.0.1 on a free port and are driven through the standard
clients (imapclient, smtplib), so the adapters are tested against the
protocol itself rather than against a fake of a library. Dovecot gets a
config of its own in a directory from `tempfile.mkdtemp()` (its auth process,
running as another user, must be able to read it) and a passwd-file that
gains one user per test; Dovecot rereads that file when it changes, so every
test can have a fresh, empty mailbox without restarting the server.
"""
from __future__ import annotations

import contextlib
import grp
import os
import pwd
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from imapclient import IMAPClient

from inbox_worker.config import ImapSettings, SmtpSettings

# Every test user shares this password; tests of a wrong one use their own string.
PASSWORD = "test-Pa55word"
# Fresh users made at a time; each test takes one.
USERS_PER_BATCH = 500
# The Dovecot answers on these addresses too, claiming fewer capabilities (see its config).
HOST_WITHOUT_MOVE = "127.0.0.2"
HOST_WITHOUT_MOVE_OR_UIDPLUS = "127.0.0.3"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_greeting(port: int, prefix: bytes, deadline: float,
                       process: subprocess.Popen[bytes] | None = None) -> None:
    while True:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"it exited with status {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                if s.recv(256).startswith(prefix):
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"no {prefix!r} greeting on 127.0.0.1:{port}")
        time.sleep(0.05)


class DovecotServer:
    """A Dovecot IMAP server of the tests' own; `start()`, `add_user()`, `stop()`."""

    def __init__(self) -> None:
        binary = shutil.which("dovecot") or next(
            (p for p in ("/usr/sbin/dovecot", "/usr/local/sbin/dovecot") if os.path.exists(p)), None)
        if binary is None:
            raise RuntimeError("dovecot is not installed, and the IMAP tests need a real server: "
                               "run `apt-get install -y --no-install-recommends dovecot-imapd` "
                               "(.ci/run does this) and try again.")
        self.binary = binary
        self.root = Path(tempfile.mkdtemp(prefix="inbox-worker-dovecot-"))
        # mkdtemp makes 0700 directories; Dovecot's auth and imap processes run as other users.
        self.root.chmod(0o755)
        self.mail_dir = self.root / "mail"
        self.passwd = self.root / "passwd"
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        # Users are written to the passwd-file ahead of need, because Dovecot rereads it at most once
        # a second: a user added just before logging in might not be seen yet.
        self._unused: list[str] = []
        self._written = 0

    def _users(self) -> tuple[str, str, str]:
        """The (internal, login, mail) users: unprivileged ones as root, else ourselves."""
        if os.geteuid() != 0:
            me = pwd.getpwuid(os.geteuid()).pw_name
            return me, me, me
        internal = "dovecot" if _user_exists("dovecot") else "nobody"
        login = "dovenull" if _user_exists("dovenull") else "nobody"
        return internal, login, "nobody"

    def _write_config(self) -> Path:
        internal, login, mail_user = self._users()
        mail_group = grp.getgrgid(pwd.getpwnam(mail_user).pw_gid).gr_name
        for d in ("base", "state"):
            (self.root / d).mkdir(exist_ok=True)
        self.mail_dir.mkdir(exist_ok=True)
        shutil.chown(self.mail_dir, mail_user, mail_group)
        self.passwd.write_text("")
        self.passwd.chmod(0o644)
        self._write_users(USERS_PER_BATCH)
        conf = self.root / "dovecot.conf"
        conf.write_text(f"""\
protocols = imap
listen = 127.0.0.1, 127.0.0.2, 127.0.0.3
base_dir = {self.root}/base
state_dir = {self.root}/state
log_path = {self.root}/dovecot.log
info_log_path = {self.root}/dovecot.log
default_internal_user = {internal}
default_login_user = {login}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login xoauth2
auth_failure_delay = 0
mail_location = maildir:{self.mail_dir}/%u
mail_uid = {mail_user}
mail_gid = {mail_group}
first_valid_uid = 0
mail_fsync = never
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.passwd}
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {self.passwd}
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1, 127.0.0.2, 127.0.0.3
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
# The same server seen through other loopback addresses, as an older server without MOVE, and
# one without UIDPLUS either, to test the adapter's fallbacks.
local 127.0.0.2 {{
  protocol imap {{
    imap_capability = IMAP4rev1 LITERAL+ SASL-IR ID ENABLE IDLE NAMESPACE UIDPLUS
  }}
}}
local 127.0.0.3 {{
  protocol imap {{
    imap_capability = IMAP4rev1 LITERAL+ SASL-IR ID ENABLE IDLE NAMESPACE
  }}
}}
# Without this a failed login makes anvil delay the next good one by seconds.
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
""")
        return conf

    def start(self) -> DovecotServer:
        conf = self._write_config()
        # Config errors come out on stderr before the log file is open: keep them for the message below.
        with (self.root / "dovecot.out").open("wb") as out:
            self.process = subprocess.Popen([self.binary, "-F", "-c", str(conf)],
                                            stdout=out, stderr=subprocess.STDOUT)
        try:
            _wait_for_greeting(self.port, b"* OK", time.monotonic() + 15, self.process)
        except RuntimeError as e:
            said = "".join((self.root / name).read_text(errors="replace")
                           for name in ("dovecot.out", "dovecot.log") if (self.root / name).exists())
            self.stop()
            raise RuntimeError(f"dovecot did not start ({e}); it said:\n{said or '(nothing)'}") from None
        return self

    def pause(self) -> None:
        """Stop the server but keep its mail and users, as an outage would.

        Dovecot's IMAP processes outlive their master, so open connections are
        cut too: a real outage does not leave them serving. Everything is killed at
        once, because a clean shutdown takes about a second, in which a worker
        can finish a whole poll the test meant to interrupt.
        """
        if self.process is None:
            return
        children = _children(self.process.pid)
        self.process.kill()
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.process.wait()
        self.process = None

    def resume(self) -> None:
        """Start it again on the same port, with the same mail and users."""
        with (self.root / "dovecot.out").open("ab") as out:
            self.process = subprocess.Popen([self.binary, "-F", "-c", str(self.root / "dovecot.conf")],
                                            stdout=out, stderr=subprocess.STDOUT)
        _wait_for_greeting(self.port, b"* OK", time.monotonic() + 15, self.process)

    def stop(self) -> None:
        self._terminate()
        shutil.rmtree(self.root, ignore_errors=True)

    def _terminate(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None

    def add_user(self) -> str:
        """A user nobody has used yet, with an empty mailbox; returns its name."""
        if not self._unused:
            self._write_users(USERS_PER_BATCH)
            # Dovecot looks at the passwd-file at most once a second; let it notice the new users.
            time.sleep(1.1)
        return self._unused.pop(0)

    def _write_users(self, count: int) -> None:
        names = [f"user{self._written + i + 1}" for i in range(count)]
        with self.passwd.open("a") as f:
            f.writelines(f"{name}:{{PLAIN}}{PASSWORD}::::::\n" for name in names)
        self._written += count
        self._unused.extend(names)

    def imap_settings_for(self, user: str, **overrides: object) -> ImapSettings:
        values: dict[str, object] = {
            "host": "127.0.0.1", "port": self.port, "username": user, "password": PASSWORD,
            "security": "none", "timeout_seconds": 10.0,
        }
        values.update(overrides)
        return ImapSettings.model_validate(values)

    def client(self, user: str) -> IMAPClient:
        c = IMAPClient("127.0.0.1", self.port, ssl=False, timeout=10)
        c.login(user, PASSWORD)
        return c

    # Helpers take and give folder names as the project writes them, with "/" between levels;
    # this Dovecot's Maildir uses ".", as a real server might.
    def _name(self, folder: str) -> str:
        return folder.replace("/", ".")

    def append(self, user: str, raw: bytes, folder: str = "INBOX") -> int:
        """Put a message into a folder (created if missing); return its UID."""
        folder = self._name(folder)
        with self.client(user) as c:
            if not c.folder_exists(folder):
                c.create_folder(folder)
            resp = c.append(folder, raw)
        # With UIDPLUS the reply is "[APPENDUID <validity> <uid>] ...".
        return int(resp.split(b"]")[0].split()[-1])

    def list_folder(self, user: str, folder: str = "INBOX") -> dict[int, bytes]:
        """Every message in a folder, as {uid: raw bytes}; leaves \\Seen alone."""
        with self.client(user) as c:
            c.select_folder(self._name(folder), readonly=True)
            uids = c.search(["NOT", "DELETED"])
            got = c.fetch(uids, ["BODY.PEEK[]"]) if uids else {}
        return {uid: data[b"BODY[]"] for uid, data in sorted(got.items())}

    def folders(self, user: str) -> list[str]:
        """The user's folders, with "/" between levels."""
        with self.client(user) as c:
            return sorted(name.replace(".", "/") for _flags, _delim, name in c.list_folders())

    def renumber(self, user: str, folder: str = "INBOX") -> None:
        """Give a folder a new UIDVALIDITY, keeping its messages, as a server rebuild or migration would.

        Dovecot keeps UIDs in `dovecot-uidlist` and caches them in `dovecot.index*`; without those
        it numbers the messages afresh under a new UIDVALIDITY. Call it with no session open.
        """
        path = self.mail_dir / user
        if folder.upper() != "INBOX":
            path = path / ("." + self._name(folder))
        for f in path.iterdir():
            if f.name == "dovecot-uidlist" or f.name.startswith("dovecot.index"):
                f.unlink()

    def uidvalidity(self, user: str, folder: str = "INBOX") -> int:
        with self.client(user) as c:
            return int(c.folder_status(self._name(folder), ["UIDVALIDITY"])[b"UIDVALIDITY"])


def _children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (read from /proc)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


@dataclass
class Received:
    envelope_from: str
    recipients: list[str]
    data: bytes
    # The user the client authenticated as, if it did.
    login: str | None = None
    # The MAIL FROM parameters, e.g. ["BODY=8BITMIME"].
    mail_options: list[str] = field(default_factory=list)
    # The client's (host, port): the same for every message sent over one connection.
    peer: tuple[str, int] | None = None


@dataclass
class RecordingHandler:
    """Records every accepted message; can be told to refuse some, as a real server would."""

    received: list[Received] = field(default_factory=list)
    # Answer this many DATA commands with a temporary failure.
    fail_next: int = 0
    fail_reply: str = "451 4.3.0 Mail server temporarily rejected message, try later"
    # Recipients (lower-case) refused at RCPT with the reply given.
    refused: dict[str, str] = field(default_factory=dict)
    # Offer PIPELINING (RFC 2920), as Gmail does; aiosmtpd reads pipelined commands in order
    # but does not say so itself.
    pipelining: bool = True

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        if self.pipelining:
            responses.insert(1, "250-PIPELINING")
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.refused.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.fail_next > 0:
            self.fail_next -= 1
            return self.fail_reply
        login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos),
                                      bytes(envelope.original_content or envelope.content), login,
                                      list(envelope.mail_options), tuple(session.peer)))
        return "250 2.0.0 OK queued"


class SmtpServer:
    """An aiosmtpd server on 127.0.0.1 that offers AUTH over plain text (as tests only)."""

    username = "sender@example.org"
    password = "smtp-Pa55word"

    def __init__(self, idle_timeout: float = 300, pipelining: bool = True) -> None:
        self.handler = RecordingHandler(pipelining=pipelining)
        self.port = free_port()
        # Seconds a connection may sit idle before the server says 421 and closes it.
        self.idle_timeout = idle_timeout
        self.controller = self._controller()

    def _controller(self) -> Controller:
        return Controller(self.handler, hostname="127.0.0.1", port=self.port,
                          authenticator=self._authenticate, auth_require_tls=False, decode_data=False,
                          timeout=self.idle_timeout)

    def _authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login.decode() == self.username
              and auth_data.password.decode() == self.password)
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def cpu_seconds(self) -> float:
        """CPU time the server's thread has used: its work, not the client's, in a shared process."""
        return time.clock_gettime(time.pthread_getcpuclockid(self.controller._thread.ident))

    def fail_next(self, n: int, reply: str | None = None) -> None:
        """Answer the next `n` messages' DATA with a 4xx reply (or `reply`)."""
        self.handler.fail_next = n
        if reply:
            self.handler.fail_reply = reply

    def refuse(self, recipient: str, reply: str = "550 5.1.1 No such user here") -> None:
        self.handler.refused[recipient.lower()] = reply

    def smtp_settings(self, **overrides: object) -> SmtpSettings:
        values: dict[str, object] = {
            "host": "127.0.0.1", "port": self.port, "security": "none", "timeout_seconds": 10.0,
            "from_address": "program@example.org",
        }
        values.update(overrides)
        return SmtpSettings.model_validate(values)

    def start(self) -> SmtpServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def pause(self) -> None:
        """Stop listening (an outage); `resume` starts again on the same port, same records."""
        self.controller.stop()

    def resume(self) -> None:
        self.controller = self._controller()
        self.controller.start()

    def restart(self) -> None:
        """Stop and start on the same port, closing open connections as a server's idle timeout would."""
        self.stop()
        # A Controller's event loop cannot be started twice.
        self.controller = self._controller()
        self.start()


# --- TLS ---------------------------------------------------------------------------------------
# A CA of the tests' own signs the servers' certificates, so the adapters' default (verify against
# the system's CAs) must refuse them, and `ca_file` pointing at this CA must let them through.

WRONG_HOST = "mail.example.org"
# On the TLS Dovecot, this address presents a certificate our CA signed for WRONG_HOST instead.
HOST_WITH_WRONG_CERT = "127.0.0.2"
# Dovecot counts a connection whose two ends share an address (127.0.0.1 to 127.0.0.1) as secure and
# lets it log in without TLS; one to this address comes from another, as a remote client's would.
HOST_SEEN_AS_REMOTE = "127.0.0.3"


@dataclass(frozen=True)
class CertKey:
    cert: Path
    key: Path


class TestPki:
    """A test CA and certificates it signed, made with the `openssl` command in a temporary directory.

    `server` is valid for 127.0.0.1 and localhost; `wrong_host` is signed by the same CA but names
    only WRONG_HOST, so it is refused for 127.0.0.1 even when the CA is trusted.
    """

    __test__ = False  # a helper, not a test class, despite its name

    def __init__(self) -> None:
        openssl = shutil.which("openssl")
        if openssl is None:
            raise RuntimeError("the TLS tests make their certificates with the openssl command, which "
                               "is not installed: `apt-get install -y openssl`")
        self.openssl = openssl
        self.root = Path(tempfile.mkdtemp(prefix="inbox-worker-pki-"))
        # Dovecot's processes read the certificates as other users; the keys protect nothing real.
        self.root.chmod(0o755)
        self.ca = self._make_ca()
        self.server = self._issue("server", "localhost", "DNS:localhost,IP:127.0.0.1")
        self.wrong_host = self._issue("wrong-host", WRONG_HOST, f"DNS:{WRONG_HOST}")

    @property
    def ca_file(self) -> str:
        return str(self.ca.cert)

    def _run(self, *args: str) -> None:
        done = subprocess.run([self.openssl, *args], capture_output=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"openssl {args[0]} failed: {done.stderr.decode(errors='replace')}")

    def _make_ca(self) -> CertKey:
        ca = CertKey(self.root / "ca.pem", self.root / "ca.key")
        # P-256 keys take milliseconds where RSA takes a noticeable part of a second.
        self._run("req", "-x509", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                  "-nodes", "-keyout", str(ca.key), "-out", str(ca.cert), "-days", "2",
                  "-subj", "/CN=inbox-worker test CA",
                  "-addext", "basicConstraints=critical,CA:TRUE",
                  "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        return ca

    def _issue(self, name: str, common_name: str, alt_names: str) -> CertKey:
        out = CertKey(self.root / f"{name}.pem", self.root / f"{name}.key")
        csr = self.root / f"{name}.csr"
        ext = self.root / f"{name}.ext"
        # Extensions a strict verifier (Python 3.13's VERIFY_X509_STRICT) insists on, besides the names.
        ext.write_text("basicConstraints=critical,CA:FALSE\n"
                       "keyUsage=critical,digitalSignature\n"
                       "extendedKeyUsage=serverAuth\n"
                       f"subjectAltName={alt_names}\n"
                       "authorityKeyIdentifier=keyid\n"
                       "subjectKeyIdentifier=hash\n")
        self._run("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                  "-keyout", str(out.key), "-out", str(csr), "-subj", f"/CN={common_name}")
        self._run("x509", "-req", "-in", str(csr), "-CA", str(self.ca.cert), "-CAkey", str(self.ca.key),
                  "-set_serial", str(int.from_bytes(os.urandom(8), "big")), "-days", "2",
                  "-extfile", str(ext), "-out", str(out.cert))
        for f in (out.cert, out.key):
            f.chmod(0o644)
        return out

    def client_context(self) -> ssl.SSLContext:
        """A context that trusts this CA, for the tests' own clients."""
        return ssl.create_default_context(cafile=self.ca_file)

    def server_context(self, cert: CertKey | None = None) -> ssl.SSLContext:
        cert = cert or self.server
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert.cert, cert.key)
        return ctx

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


class TlsDovecotServer(DovecotServer):
    """The test Dovecot with TLS required: IMAPS on `imaps_port`, STARTTLS on `port`.

    Its config is the plain server's plus the lines below (Dovecot lets a later setting override an
    earlier one and merges repeated sections), so both servers stay alike in everything else.
    Logging in without TLS is refused, as it would be by a careful real server. On
    HOST_WITH_WRONG_CERT it presents the certificate for WRONG_HOST.
    """

    def __init__(self, pki: TestPki) -> None:
        super().__init__()
        self.pki = pki
        self.imaps_port = free_port()

    def _write_config(self) -> Path:
        conf = super()._write_config()
        pki = self.pki
        with conf.open("a") as f:
            f.write(f"""
ssl = required
disable_plaintext_auth = yes
ssl_cert = <{pki.server.cert}
ssl_key = <{pki.server.key}
service imap-login {{
  inet_listener imaps {{
    address = 127.0.0.1, {HOST_WITH_WRONG_CERT}
    port = {self.imaps_port}
  }}
}}
local {HOST_WITH_WRONG_CERT} {{
  ssl_cert = <{pki.wrong_host.cert}
  ssl_key = <{pki.wrong_host.key}
}}
""")
        return conf

    def start(self) -> TlsDovecotServer:
        super().start()
        # The plain port answered; the IMAPS one is a separate listener and must be up too.
        deadline = time.monotonic() + 15
        while True:
            try:
                raw = socket.create_connection(("127.0.0.1", self.imaps_port), timeout=1)
                with self.pki.client_context().wrap_socket(raw, server_hostname="127.0.0.1") as s:
                    if s.recv(256).startswith(b"* OK"):
                        return self
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"dovecot did not answer IMAPS on 127.0.0.1:{self.imaps_port}")
            time.sleep(0.05)

    def imap_settings_for(self, user: str, **overrides: object) -> ImapSettings:
        """Settings for IMAPS with the test CA trusted; the port follows `security` unless given."""
        values: dict[str, object] = {"security": "ssl", "ca_file": self.pki.ca_file}
        values.update(overrides)
        values.setdefault("port", self.imaps_port if values["security"] == "ssl" else self.port)
        return super().imap_settings_for(user, **values)

    def client(self, user: str) -> IMAPClient:
        # The helpers (append, list_folder, ...) must log in over TLS too: the server refuses plain text.
        c = IMAPClient("127.0.0.1", self.imaps_port, ssl=True, ssl_context=self.pki.client_context(),
                       timeout=10)
        c.login(user, PASSWORD)
        return c


class TlsSmtpServer(SmtpServer):
    """An aiosmtpd server speaking TLS: `mode` "starttls" (required before MAIL) or "ssl" (implicit).

    With `cert` it presents that certificate instead of the one for 127.0.0.1 (to test name checks).
    """

    def __init__(self, pki: TestPki, mode: str, cert: CertKey | None = None) -> None:
        if mode not in ("starttls", "ssl"):
            raise ValueError(f"mode is starttls or ssl, not {mode!r}")
        self.pki = pki
        self.mode = mode
        self.tls = pki.server_context(cert)
        super().__init__()

    def _controller(self) -> Controller:
        common: dict[str, object] = {
            "hostname": "127.0.0.1", "port": self.port, "authenticator": self._authenticate,
            "decode_data": False,
        }
        if self.mode == "starttls":
            # Like Gmail's port 587: nothing, not even AUTH, before STARTTLS.
            return Controller(self.handler, tls_context=self.tls, require_starttls=True,
                              auth_require_tls=True, **common)
        # aiosmtpd 1.4 counts only STARTTLS as TLS, so on a TLS listener AUTH must be allowed by hand.
        return Controller(self.handler, ssl_context=self.tls, auth_require_tls=False, **common)

    def smtp_settings(self, **overrides: object) -> SmtpSettings:
        """Settings for this server's mode with the test CA trusted; override to vary."""
        values: dict[str, object] = {"security": self.mode, "ca_file": self.pki.ca_file}
        values.update(overrides)
        return super().smtp_settings(**values)

"""What the mail benchmarks share: real servers, settings, a generated corpus, and the report.

Each benchmark starts its own Dovecot and aiosmtpd on 127.0.0.1 (the same
servers the tests use, from tests/servers.py), so its figures come from the
protocols themselves. The corpus is made by the generator of the fixture
applications (tests/fixtures/make_fixtures.py), each message a new applicant: a fresh
Message-ID and a sender and form address of its own.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import math
import multiprocessing
import os
import random
import re
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from servers import DovecotServer, SmtpServer

from inbox_worker.config import (
    DatabaseSettings,
    ProgramSettings,
    ScheduleSettings,
    Settings,
    WorkerSettings,
)

FIXTURES = ROOT / "tests" / "fixtures" / "applications"
COORDINATOR = "coordinator@example.org"


# --- servers -------------------------------------------------------------------------------------

@dataclass
class Servers:
    dovecot: DovecotServer
    smtp: SmtpServer
    user: str


@contextlib.contextmanager
def servers() -> Iterator[Servers]:
    """A fresh Dovecot (one empty mailbox) and aiosmtpd, stopped whatever happens."""
    dovecot = DovecotServer().start()
    smtp = SmtpServer()
    try:
        smtp.start()
        yield Servers(dovecot, smtp, dovecot.add_user())
    finally:
        with contextlib.suppress(Exception):
            smtp.stop()
        dovecot.stop()


def settings_for(srv: Servers, workdir: Path, **worker: object) -> Settings:
    """The worker's settings against these servers; the digest is off so only intake mail is counted."""
    return Settings(
        imap=srv.dovecot.imap_settings_for(srv.user),
        smtp=srv.smtp.smtp_settings(),
        database=DatabaseSettings(url=f"sqlite:///{workdir / 'bench.sqlite3'}"),
        program=ProgramSettings(coordinators=[COORDINATOR], raw_store_dir=str(workdir / "raw")),
        # Every message is a new applicant: the caps against floods from one sender or in one day
        # are tested elsewhere, and would only hold the benchmark's mail back here.
        worker=WorkerSettings(outbox_dir=str(workdir / "outbox"), max_replies_per_address_per_day=1000,
                              max_recipients_per_day=100_000, **worker),
        schedule=ScheduleSettings(digest="off"),
    )


def worker_env(srv: Servers, workdir: Path, **extra: str) -> dict[str, str]:
    """Environment for `inbox-worker run` as a process against these servers (config comes from it)."""
    imap = srv.dovecot.imap_settings_for(srv.user)
    env = {k: v for k, v in os.environ.items() if not k.startswith("INBOX_WORKER_")}
    env.update({
        "INBOX_WORKER_IMAP__HOST": imap.host, "INBOX_WORKER_IMAP__PORT": str(imap.port),
        "INBOX_WORKER_IMAP__USERNAME": srv.user,
        "INBOX_WORKER_IMAP__PASSWORD": imap.password.get_secret_value(),
        "INBOX_WORKER_IMAP__SECURITY": "none",
        "INBOX_WORKER_SMTP__HOST": "127.0.0.1", "INBOX_WORKER_SMTP__PORT": str(srv.smtp.port),
        "INBOX_WORKER_SMTP__SECURITY": "none", "INBOX_WORKER_SMTP__FROM_ADDRESS": "program@example.org",
        "INBOX_WORKER_DATABASE__URL": f"sqlite:///{workdir / 'worker.sqlite3'}",
        "INBOX_WORKER_PROGRAM__COORDINATORS": json.dumps([COORDINATOR]),
        "INBOX_WORKER_PROGRAM__RAW_STORE_DIR": str(workdir / "raw"),
        "INBOX_WORKER_WORKER__MAX_REPLIES_PER_ADDRESS_PER_DAY": "1000",
        "INBOX_WORKER_WORKER__MAX_RECIPIENTS_PER_DAY": "100000",
        "INBOX_WORKER_SCHEDULE__DIGEST": "off",
    })
    env.update(extra)
    return env


def workdir(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f"inbox-worker-bench-{prefix}-"))


def append_many(srv: Servers, messages: list[bytes], folder: str = "INBOX") -> float:
    """APPEND every message over one connection; returns the seconds it took."""
    began = time.perf_counter()
    with srv.dovecot.client(srv.user) as c:
        for raw in messages:
            c.append(folder, raw)
    return time.perf_counter() - began


def wait_until(predicate, timeout: float, step: float = 0.01) -> bool:
    """Poll `predicate` until it holds or `timeout` seconds pass (benchmarks must stop by themselves)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


# --- corpus --------------------------------------------------------------------------------------

FORMATS = ("inline", "docx", "pdf")


def case_format(slug: str) -> str | None:
    """inline (the form in the body), docx or pdf; None for other formats and for non-applications."""
    if slug.startswith("neg-") or "odt" in slug or "bare" in slug:
        return None
    if "docx" in slug:
        return "docx"
    if "pdf" in slug:
        return "pdf"
    if slug.startswith(("body-form", "lv-", "cp1252", "latin1", "utf8", "flowed")):
        return "inline"
    return None


def _fixture_maker():
    """tests/fixtures/make_fixtures.py, which writes the corpus the parser tests use."""
    sys.path.insert(0, str(ROOT / "tests" / "fixtures"))
    import make_fixtures

    return make_fixtures


def _plan(count: int, seed: int) -> list[tuple[int, str, int]]:
    """(n, format, case number within the format): a third of each format, in a seeded order."""
    rng = random.Random(seed)
    formats = [FORMATS[i % len(FORMATS)] for i in range(count)]
    rng.shuffle(formats)
    taken = dict.fromkeys(FORMATS, 0)
    plan = []
    for n, fmt in enumerate(formats):
        plan.append((n, fmt, taken[fmt]))
        taken[fmt] += 1
    return plan


def _render(job: tuple[list[tuple[int, str, int]], int]) -> list[tuple[int, str, bytes]]:
    """Render some of the plan's messages (in a worker process: reportlab and pypdf take a while)."""
    items, seed = job
    mf = _fixture_maker()
    by_format: dict[str, list] = {f: [] for f in FORMATS}
    for slug, _about, fn in mf.CASES:
        fmt = case_format(slug)
        if fmt is not None:
            by_format[fmt].append(fn)
    original = mf.make_person
    serial = [0]

    def unique_person(idx, case_rng, role, **over):
        person = original(idx, case_rng, role, **over)
        local, _, domain = (person.w["email"] or "applicant@example.org").partition("@")
        person.w["email"] = f"{local}.b{serial[0]}@{domain}"
        return person

    mf.make_person = unique_person
    out = []
    try:
        for n, fmt, k in items:
            serial[0] = n
            pool = by_format[fmt]
            _person, raw, _ext = pool[k % len(pool)](n + 1, random.Random(f"{seed}-{n}"))
            head, sep, body = raw.partition(b"\r\n\r\n")
            fresh = f"<bench-{seed}-{n}@bench.example>".encode()
            head = re.sub(rb"(?im)^(Message-ID:[ \t]*).*$", lambda m, fresh=fresh: m.group(1) + fresh, head)
            out.append((n, fmt, head + sep + body))
    finally:
        mf.make_person = original
    return out


def corpus(count: int, seed: int = 20250601) -> list[tuple[str, bytes]]:
    """`count` applications, a third of each format, each a new applicant; (format, raw) each.

    The fixture cases are run again with other people (the case's idx and rng), so every
    message is rendered afresh (its docx or pdf too); the applicant's address is made
    unique by suffixing the person's own, and the Message-ID is fresh. Rendering 2,000
    takes a minute or two, so the result is kept in the temporary directory, keyed on
    the generator's own source, and reused by the next run.
    """
    source = (ROOT / "tests" / "fixtures" / "make_fixtures.py").read_bytes()
    key = hashlib.sha256(source + f"{count}:{seed}".encode()).hexdigest()[:16]
    cache = Path(tempfile.gettempdir()) / f"inbox-worker-bench-corpus-{key}"
    if (cache / "done").exists():
        return [(p.stem.split("-")[1], p.read_bytes()) for p in sorted(cache.glob("*.eml"))]
    plan = _plan(count, seed)
    chunks = [(plan[i::8], seed) for i in range(8)]
    with multiprocessing.get_context("fork").Pool(max(1, min(4, os.cpu_count() or 1))) as pool:
        rendered = sorted(m for part in pool.map(_render, chunks) for m in part)
    cache.mkdir(exist_ok=True)
    for n, fmt, raw in rendered:
        (cache / f"{n:06d}-{fmt}.eml").write_bytes(raw)
    (cache / "done").write_text("")
    return [(fmt, raw) for _n, fmt, raw in rendered]


def small_message(n: int) -> bytes:
    """A short note, not an application: the 10,000-message mailbox of the idle poll."""
    return (f"From: Reader {n} <reader{n}@example.net>\r\nTo: program@example.org\r\n"
            f"Subject: Newsletter {n}\r\nMessage-ID: <small-{n}@bench.example>\r\n"
            f"Date: Mon, 06 Apr 2026 09:00:00 +0000\r\n\r\nIssue {n}.\r\n").encode()


# --- report --------------------------------------------------------------------------------------

def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    ordered = sorted(values)
    k = max(0, min(len(ordered), math.ceil(p / 100 * len(ordered))) - 1)
    return ordered[k]


def report(name: str, figures: dict, rows: list[tuple[str, str, str]]) -> None:
    """One JSON line (for machines), then a table: figure, value, target."""
    print(json.dumps({"bench": name, **figures}, sort_keys=False))
    width = max(len(r[0]) for r in rows)
    vwidth = max(len(r[1]) for r in rows)
    print(f"\n{name}")
    for what, value, target in rows:
        print(f"  {what:<{width}}  {value:>{vwidth}}  {target}")

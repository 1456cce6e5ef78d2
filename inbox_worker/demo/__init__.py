"""The bundled demo: the whole job on a local sample mailbox, with no server and no password.

`run_demo` copies the sample messages shipped in `demo/messages/` into a
fresh Maildir, runs one real cycle over it (the same code as `run --once`),
stores the records in a SQLite file and writes the email it would send as
`.eml` files, then says what happened. The output folder is its state
folder: nothing is written anywhere else, and no config file found on the
machine is read.
"""
from __future__ import annotations

import json
import mailbox
import shutil
import sys
from datetime import datetime
from pathlib import Path

from inbox_worker.config import load_settings
from inbox_worker.program.views import list_applications, status_report
from inbox_worker.worker import MailSource, bootstrap, run_cycle

MESSAGES = Path(__file__).parent / "messages"
DEMO_COORDINATOR = "coordinator@example.org"


def run_demo(out: Path, now: datetime | None = None) -> list[str]:
    out = Path(out)
    for part in ("mailbox", "sent", "raw-mail", "inbox-worker.sqlite3", "inbox-worker.sqlite3-wal",
                 "inbox-worker.sqlite3-shm"):
        target = out / part
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    out.mkdir(parents=True, exist_ok=True)
    maildir = mailbox.Maildir(out / "mailbox", create=True)
    samples = sorted(MESSAGES.glob("*.eml"))
    for path in samples:
        maildir.add(path.read_bytes())
    settings = load_settings(None, search=False, overrides={
        "paths": {"state_dir": str(out.resolve())},
        "database": {"url": "sqlite:///inbox-worker.sqlite3"},
        "program": {"raw_store_dir": "raw-mail", "coordinators": [DEMO_COORDINATOR]},
        "worker": {"outbox_dir": "sent"},
        "imap": {"folder": "INBOX"},
    })
    app = bootstrap(settings)
    summary = run_cycle(app, MailSource(maildir=out / "mailbox"), now or datetime(2026, 12, 1, 9, 0),
                        outbox_folder=out / "sent")
    lines = [f"demo: {len(samples)} sample message(s) put in the mailbox {out / 'mailbox'}", *summary.lines(), ""]
    for a in reversed(list_applications(app)):
        missing = f" (missing: {', '.join(a['missing_labels'])})" if a["missing"] else ""
        lines.append(f"  application #{a['id']}: {a['role_label']} {a['name'] or '(no name)'} "
                     f"<{a['email']}>{missing}")
    for item in status_report(app)["review"]:
        lines.append(f"  set aside for a coordinator: {item['subject']!r} from {item['sender']}: {item['reason']}")
    sent = sorted((out / "sent").glob("*.eml"))
    lines += ["", f"{len(sent)} email(s) written to {out / 'sent'} instead of being sent:"]
    lines += [f"  {p.name}" for p in sent]
    command = _command()
    lines += ["", f"records are in {out / 'inbox-worker.sqlite3'}; try:",
              f"  {command} applications list --config {out}/demo.toml",
              f"  {command} matches suggest --config {out}/demo.toml",
              "", "To run on the real mailbox, write a config with `inbox-worker init YOUR.toml`, fill it in and "
              "run `inbox-worker run --once --config YOUR.toml --dry-run` first."]
    (out / "demo.toml").write_text(
        # A TOML basic string is written as JSON writes a string.
        f'[paths]\nstate_dir = {json.dumps(str(out.resolve()))}\n\n'
        f'[program]\ncoordinators = ["{DEMO_COORDINATOR}"]\n',
        encoding="utf-8")
    app.db.dispose()
    return lines


def _command() -> str:
    """How to call inbox-worker from here: the virtual environment's script if it is not on PATH."""
    script = Path(sys.executable).parent / "inbox-worker"
    return "inbox-worker" if shutil.which("inbox-worker") == str(script) or not script.exists() else str(script)

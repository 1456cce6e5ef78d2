"""The `inbox-worker` command as a coordinator meets it."""
from __future__ import annotations

import email
import email.policy
import json
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures" / "intake"


def cli(*args: str, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "inbox_worker", *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=120)


def test_help_teaches_and_shows_no_secret(monkeypatch):
    """--help lists the commands and never prints a configured password."""
    import os
    env = dict(os.environ, INBOX_WORKER_IMAP__PASSWORD="sekret-app-password")
    done = cli("--help", env=env)
    assert done.returncode == 0
    for command in ("run", "demo", "parse", "status", "applications", "outbox", "preview", "form"):
        assert command in done.stdout
    run_help = cli("run", "--help", env=env)
    assert "--dry-run" in run_help.stdout and "--now" in run_help.stdout
    assert "sekret-app-password" not in done.stdout + run_help.stdout


def test_parse_prints_the_record_of_an_application():
    """parse prints one JSON object with the contract's keys and exits 0."""
    done = cli("parse", str(FIXTURES / "01-protege-inline.eml"))
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)
    assert record["name"] == "Rosalind Okafor"
    assert record["role"] == "protege"
    assert record["state"] == "WY"


@pytest.mark.parametrize("name", ["12-question.eml", "10-out-of-office.eml"])
def test_parse_refuses_what_is_not_an_application(name):
    """A question or an auto-reply: nothing on stdout, a reason on stderr, exit 3."""
    done = cli("parse", str(FIXTURES / name))
    assert done.returncode == 3
    assert done.stdout == ""
    assert done.stderr.strip()


def test_parse_says_when_a_file_cannot_be_read(tmp_path):
    """A missing file or an unsupported binary exits 2 with a message."""
    assert cli("parse", str(tmp_path / "missing.eml")).returncode == 2
    junk = tmp_path / "form.docx"
    junk.write_bytes(b"PK\x03\x04 this is not really a zip")
    done = cli("parse", str(junk))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr


def test_the_demo_runs_the_whole_job_locally(tmp_path):
    """`inbox-worker demo` processes the bundled mailbox and writes the mail it would send."""
    done = cli("demo", "--out", str(tmp_path / "demo"))
    assert done.returncode == 0, done.stderr
    sent = sorted((tmp_path / "demo" / "sent").glob("*.eml"))
    assert sent, done.stdout
    first = email.message_from_bytes(sent[0].read_bytes(), policy=email.policy.default)
    assert first["Auto-Submitted"]
    assert (tmp_path / "demo" / "inbox-worker.sqlite3").exists()
    listed = cli("applications", "list", "--json", "--config", str(tmp_path / "demo" / "demo.toml"))
    assert listed.returncode == 0, listed.stderr
    assert len(json.loads(listed.stdout)) >= 1


def test_preview_renders_a_template_and_names_them_all_when_asked_wrong():
    """preview shows an email with sample data; an unknown name lists the real ones."""
    done = cli("preview", "acknowledgement")
    assert done.returncode == 0
    assert done.stdout.startswith("Subject: ")
    wrong = cli("preview", "acknowledgment")
    assert wrong.returncode == 1
    assert "review_notice" in wrong.stderr


def test_a_bad_config_path_is_explained_without_a_traceback(tmp_path):
    """A wrong --config gives one plain line and the fix."""
    done = cli("status", "--config", str(tmp_path / "nope.toml"))
    assert done.returncode == 1
    assert "config.example.toml" in done.stderr and "Traceback" not in done.stderr


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("INBOX_WORKER_") and k != "STATE_DIRECTORY"}
    (tmp_path / "home").mkdir(exist_ok=True)
    env.update(HOME=str(tmp_path / "home"), **extra)
    return env


def test_a_command_finds_the_config_says_so_and_never_starts_an_empty_database(tmp_path):
    """Without --config, ./inbox-worker.toml is read; a command that reads records refuses to
    create a database, naming the one it looked for and how to point at the right one; after
    `db upgrade` made it, `status` names the settings file and the database it used."""
    work, state = tmp_path / "work", tmp_path / "state"
    work.mkdir()
    config = work / "inbox-worker.toml"
    config.write_text(f'[paths]\nstate_dir = "{state}"\n')
    env = _env(tmp_path)
    for command in (["status"], ["applications", "list"], ["outbox", "list"]):
        refused = cli(*command, cwd=work, env=env)
        assert refused.returncode == 1, refused.stdout
        assert str(state / "inbox-worker.sqlite3") in refused.stderr and str(config) in refused.stderr
        assert "--config" in refused.stderr and "db upgrade" in refused.stderr
        assert "Traceback" not in refused.stderr
    assert not state.exists(), "a read-only command wrote to the state folder"
    made = cli("db", "upgrade", cwd=work, env=env)
    assert made.returncode == 0, made.stderr
    shown = cli("status", cwd=work, env=env)
    assert shown.returncode == 0, shown.stderr
    assert f"settings: {config}" in shown.stdout
    assert f"database: {state / 'inbox-worker.sqlite3'}" in shown.stdout


def test_make_demo_writes_only_into_demo_output(tmp_path):
    """`inbox-worker demo`, as `make demo` runs it, leaves nothing outside demo-output/."""
    done = cli("demo", cwd=tmp_path, env=_env(tmp_path))
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo-output", "home"]
    assert not any((tmp_path / "home").iterdir())
    assert (tmp_path / "demo-output" / "inbox-worker.sqlite3").is_file()

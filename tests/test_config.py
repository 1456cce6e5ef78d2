"""Settings load from the documented example file, yield to the environment, and hide secrets."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from inbox_worker.config import ConfigError, load_settings

EXAMPLE = Path(__file__).parent.parent / "config.example.toml"


def test_the_example_file_is_set_for_gmail():
    """config.example.toml loads and points at Gmail's IMAP and SMTP servers."""
    s = load_settings(EXAMPLE)
    assert (s.imap.host, s.imap.port, s.imap.security) == ("imap.gmail.com", 993, "ssl")
    assert (s.smtp.host, s.smtp.port, s.smtp.security) == ("smtp.gmail.com", 587, "starttls")


def test_environment_overrides_the_file_key_by_key(monkeypatch):
    """INBOX_WORKER_<SECTION>__<KEY> wins over the file; other keys keep the file's values."""
    monkeypatch.setenv("INBOX_WORKER_IMAP__PORT", "1993")
    monkeypatch.setenv("INBOX_WORKER_PROGRAM__COORDINATORS", '["A@Example.org"]')
    s = load_settings(EXAMPLE)
    assert s.imap.port == 1993
    assert s.imap.host == "imap.gmail.com"
    assert s.program.coordinators == ["a@example.org"]


def test_secrets_never_show_in_reprs(monkeypatch):
    """A password from the environment prints as stars."""
    monkeypatch.setenv("INBOX_WORKER_IMAP__PASSWORD", "hunter2-secret")
    s = load_settings(EXAMPLE)
    assert s.imap.password.get_secret_value() == "hunter2-secret"
    assert "hunter2-secret" not in repr(s) and "hunter2-secret" not in str(s.model_dump())


def test_a_missing_file_says_what_to_do(tmp_path):
    """A wrong --config path names the file and the fix."""
    with pytest.raises(ConfigError, match=re.escape("config.example.toml")):
        load_settings(tmp_path / "nope.toml")


def test_a_bad_value_names_the_setting(tmp_path):
    """A wrong value says which setting is wrong."""
    bad = tmp_path / "bad.toml"
    bad.write_text('[imap]\nsecurity = "tls-please"\n')
    with pytest.raises(ConfigError, match=re.escape("imap.security")):
        load_settings(bad)


def test_reading_processes_default_to_the_spare_cores_and_are_bounded(tmp_path, monkeypatch):
    """By default one reading process per core (messages are never read in the worker, which
    mostly waits for the disk and the servers), at most 4; more than 8 is refused, naming the setting."""
    import os

    monkeypatch.delenv("INBOX_WORKER_CONFIG", raising=False)
    for cores, expected in ((1, 1), (2, 2), (4, 4), (64, 4)):
        monkeypatch.setattr(os, "cpu_count", lambda cores=cores: cores)
        assert load_settings(None).worker.extraction_processes == expected
    bad = tmp_path / "bad.toml"
    bad.write_text("[worker]\nextraction_processes = 12\n")
    with pytest.raises(ConfigError, match=re.escape("worker.extraction_processes")):
        load_settings(bad)


@pytest.mark.parametrize("months", ["[4]", "[4, 4]", "[4, 12]", "[0, 6]", "[]"])
def test_assessments_are_at_least_twice_within_the_relationship(tmp_path, months):
    """The program assesses each relationship at least twice in its 12 months: a schedule that
    cannot do so is refused, naming the setting and an example that works."""
    bad = tmp_path / "bad.toml"
    bad.write_text(f"[schedule]\nassessment_months = {months}\n")
    with pytest.raises(ConfigError, match=r"assessment_months.*at least twice.*\[4, 8\]"):
        load_settings(bad)


def test_assessment_months_are_kept_in_order(tmp_path):
    good = tmp_path / "good.toml"
    good.write_text("[schedule]\nassessment_months = [9, 3, 6]\n")
    assert load_settings(good).schedule.assessment_months == [3, 6, 9]


def test_two_programs_cannot_share_a_raw_mail_folder(tmp_path):
    """Each program's clean-up removes raw-mail files its own records do not name, so a folder
    shared by two programs is refused, with the setting to change."""
    shared = tmp_path / "shared.toml"
    shared.write_text('[[programs]]\nkey = "north"\nprogram = { raw_store_dir = "/srv/raw" }\n'
                      '[[programs]]\nkey = "south"\nprogram = { raw_store_dir = "/srv/raw/" }\n')
    with pytest.raises(ConfigError, match=r"'north' and 'south' share the raw-mail folder.*raw_store_dir"):
        load_settings(shared)
    apart = tmp_path / "apart.toml"
    apart.write_text('[[programs]]\nkey = "north"\n[[programs]]\nkey = "south"\n')
    settings = load_settings(apart)
    folders = {settings.for_program(key).program.raw_store_dir for key in ("north", "south")}
    assert len(folders) == 2


# ---------------------------------------------------------------- where settings and state are
def test_written_paths_resolve_against_the_state_folder_not_the_config(tmp_path, monkeypatch):
    """The database, raw mail and dry-run mail land in [paths] state_dir; a template overrides
    folder, only read, stays beside the config."""
    monkeypatch.delenv("STATE_DIRECTORY", raising=False)
    etc = tmp_path / "etc"
    etc.mkdir()
    config = etc / "config.toml"
    config.write_text(f'[paths]\nstate_dir = "{tmp_path / "state"}"\n[program]\ntemplates_dir = "mine"\n')
    s = load_settings(config)
    state = tmp_path / "state"
    assert s.database.url == f"sqlite:///{state / 'inbox-worker.sqlite3'}"
    assert s.program.raw_store_dir == str(state / "raw-mail")
    assert s.worker.outbox_dir == str(state / "outbox-eml")
    assert s.program.templates_dir == str(etc / "mine")
    assert s.config_file == config.resolve()


def test_the_state_folder_comes_from_the_environment_then_systemd_then_here(tmp_path, monkeypatch):
    """INBOX_WORKER_PATHS__STATE_DIR wins; without it, systemd's $STATE_DIRECTORY; without that,
    the folder the command runs in."""
    monkeypatch.delenv("INBOX_WORKER_PATHS__STATE_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("STATE_DIRECTORY", raising=False)
    assert load_settings(None, search=False).paths.state_dir == str(tmp_path)
    monkeypatch.setenv("STATE_DIRECTORY", "/var/lib/inbox-worker")
    here = load_settings(None, search=False)
    assert here.paths.state_dir == "/var/lib/inbox-worker"
    assert here.database.url == "sqlite:////var/lib/inbox-worker/inbox-worker.sqlite3"
    monkeypatch.setenv("INBOX_WORKER_PATHS__STATE_DIR", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("INBOX_WORKER_PROGRAM__RAW_STORE_DIR", "mail")
    there = load_settings(None, search=False)
    assert there.program.raw_store_dir == str(tmp_path / "elsewhere" / "mail")


def test_each_programs_files_are_in_the_state_folder(tmp_path):
    """With [[programs]], each program's own database file and raw-mail folder sit in the state folder."""
    config = tmp_path / "programs.toml"
    config.write_text(f'[paths]\nstate_dir = "{tmp_path / "state"}"\n[[programs]]\nkey = "north"\n'
                      '[[programs]]\nkey = "south"\nprogram = { raw_store_dir = "south-mail" }\n')
    settings = load_settings(config)
    north, south = settings.for_program("north"), settings.for_program("south")
    state = tmp_path / "state"
    assert north.database.url == f"sqlite:///{state / 'inbox-worker.north.sqlite3'}"
    assert north.program.raw_store_dir == str(state / "raw-mail" / "north")
    assert south.program.raw_store_dir == str(state / "south-mail")
    assert north.config_file == south.config_file == config.resolve()


def test_the_config_is_looked_for_in_the_documented_order(tmp_path, monkeypatch):
    """Without --config: $INBOX_WORKER_CONFIG, then ./inbox-worker.toml, then
    ~/.config/inbox-worker/config.toml, then /etc/inbox-worker/config.toml; --config wins over all."""
    from inbox_worker.config import find_config
    from inbox_worker.places import config_candidates

    home, work = tmp_path / "home", tmp_path / "work"
    (home / ".config" / "inbox-worker").mkdir(parents=True)
    work.mkdir()
    assert config_candidates(home, work) == [work / "inbox-worker.toml", home / ".config/inbox-worker/config.toml",
                                             Path("/etc/inbox-worker/config.toml")]
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(work)
    monkeypatch.delenv("INBOX_WORKER_CONFIG", raising=False)
    user = home / ".config" / "inbox-worker" / "config.toml"
    user.write_text('[program]\nname = "from home"\n')
    assert find_config() == user
    local = work / "inbox-worker.toml"
    local.write_text('[program]\nname = "from here"\n')
    assert find_config() == local
    named = tmp_path / "named.toml"
    named.write_text('[program]\nname = "named"\n')
    monkeypatch.setenv("INBOX_WORKER_CONFIG", str(named))
    assert load_settings().program.name == "named"
    assert load_settings(user).program.name == "from home"

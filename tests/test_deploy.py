"""The deployment works as docs/deployment.md says: init, --version, the unit's command as its own
user with a read-only config, the unit files, the secrets file, and what a container build sees."""
from __future__ import annotations

import email
import email.policy
import os
import pwd
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from servers import PASSWORD

from inbox_worker import __version__
from inbox_worker.config import load_settings

ROOT = Path(__file__).parent.parent
DEPLOY = ROOT / "deploy"
FIXTURES = Path(__file__).parent / "fixtures" / "intake"
UNITS = ["inbox-worker.service", "inbox-worker-health.service", "inbox-worker-health.timer"]


def cli(*args: str, env: dict | None = None, cwd: Path | None = None, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "inbox_worker", *args], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=120, **kw)


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INBOX_WORKER_")}
    env.update(extra)
    return env


def unit(name: str) -> dict[str, list[str]]:
    """A unit file's settings, each key with its values in order (systemd's own syntax is simple)."""
    values: dict[str, list[str]] = {}
    for line in (DEPLOY / name).read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            values.setdefault(key.strip(), []).append(value.strip())
    return values


def test_version_prints_the_package_version():
    """`inbox-worker --version` prints the package's version, the one its metadata carries."""
    from importlib.metadata import version

    done = cli("--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"inbox-worker {__version__}"
    assert version("inbox-worker") == __version__


def test_init_writes_the_documented_example_and_refuses_a_second_time(tmp_path):
    """`init PATH` writes config.example.toml there (with --state-dir filled in), and a second
    `init` leaves the edited file as it is and exits 1."""
    target = tmp_path / "etc" / "config.toml"
    done = cli("init", str(target), "--state-dir", "/var/lib/inbox-worker", env=clean_env())
    assert done.returncode == 0, done.stderr
    example = (ROOT / "config.example.toml").read_text()
    written = target.read_text()
    assert written == example.replace('# state_dir = "/var/lib/inbox-worker"', 'state_dir = "/var/lib/inbox-worker"')
    assert load_settings(target).paths.state_dir == "/var/lib/inbox-worker"
    target.write_text(written + "\n# edited by hand\n")
    again = cli("init", str(target), env=clean_env())
    assert again.returncode == 1
    assert "already exists" in again.stderr and "Traceback" not in again.stderr
    assert target.read_text().endswith("# edited by hand\n")


def _unprivileged() -> tuple[str, str]:
    if os.geteuid() != 0:
        pytest.skip("running a command as another user needs root (the tests run as root in CI)")
    user = pwd.getpwnam("nobody")
    import grp

    return user.pw_name, grp.getgrgid(user.pw_gid).gr_name


def _python_for(user: str, group: str) -> tuple[str, dict[str, str]]:
    """An interpreter the user may run, and the environment that finds this checkout with it.

    The tests' own interpreter may sit in a folder only root can enter (a pyenv build under
    /root, say); then the system's Python of the same version runs the same code, with the
    tests' installed packages on its path, as a Debian server's would."""
    def runs(python: str, env: dict[str, str]) -> bool:
        try:
            return subprocess.run([python, "-c", "import inbox_worker"], user=user, group=group, env=env,
                                  capture_output=True, cwd="/", timeout=60).returncode == 0
        except PermissionError:  # the interpreter itself is out of the user's reach
            return False

    if runs(sys.executable, {"PATH": "/usr/bin:/bin"}):
        return sys.executable, {}
    import sysconfig

    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    path = os.pathsep.join([str(ROOT), sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    for candidate in (f"/usr/bin/{version}", f"/usr/local/bin/{version}"):
        if Path(candidate).exists() and runs(candidate, {"PYTHONPATH": path}):
            return candidate, {"PYTHONPATH": path}
    pytest.skip(f"no {version} that the user {user} may run (the tests' own is {sys.executable})")


def _tree(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(folder.rglob("*"))}


@pytest.mark.servers
def test_the_units_command_runs_as_its_own_user_with_a_read_only_config(dovecot, imap_user, smtp_server,
                                                                        database_url):
    """The service's command (ExecStart, with --once), run as an unprivileged user with the config
    in a folder it cannot write and INBOX_WORKER_PATHS__STATE_DIR naming one it can, answers an
    application from the real Dovecot through aiosmtpd and writes nothing beside the config."""
    user, group = _unprivileged()
    service = unit("inbox-worker.service")
    program, *args = shlex.split(service["ExecStart"][0])
    assert Path(program).name == "inbox-worker" and args == ["run"]
    # Folders another user can reach (pytest's tmp_path is private to root).
    root = Path(tempfile.mkdtemp(prefix="inbox-worker-deploy-"))
    try:
        root.chmod(0o755)
        etc, state = root / "etc", root / "state"
        etc.mkdir(mode=0o755)
        state.mkdir(mode=0o700)
        shutil.chown(state, user, group)
        database = "" if database_url.startswith("sqlite") else f'[database]\nurl = "{database_url}"\n'
        config = etc / "config.toml"
        config.write_text(f"""
[imap]
host = "127.0.0.1"
port = {dovecot.port}
security = "none"
username = "{imap_user}"
[smtp]
host = "127.0.0.1"
port = {smtp_server.port}
security = "none"
from_address = "program@example.org"
[program]
coordinators = ["coordinator@example.org"]
{database}""")
        config.chmod(0o644)
        before = _tree(etc)
        dovecot.append(imap_user, (FIXTURES / "01-protege-inline.eml").read_bytes())
        python, path = _python_for(user, group)
        env = {"PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1", "HOME": "/nonexistent",
               "INBOX_WORKER_CONFIG": str(config), "INBOX_WORKER_PATHS__STATE_DIR": str(state),
               "INBOX_WORKER_IMAP__PASSWORD": PASSWORD, **path}
        # Run from the config's own folder: anything written "here" would land beside it.
        done = subprocess.run([python, "-m", "inbox_worker", *args, "--once"], env=env, cwd=etc,
                              user=user, group=group, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "1 application(s)" in done.stdout, done.stdout
        answers = [email.message_from_bytes(r.data, policy=email.policy.default) for r in smtp_server.received]
        assert any("rokafor@campbellcounty.example" in r.recipients for r in smtp_server.received), answers
        assert _tree(etc) == before, "something was written beside the config"
        written = {p.name for p in state.iterdir()}
        assert "raw-mail" in written
        if database_url.startswith("sqlite"):
            assert "inbox-worker.sqlite3" in written
            assert (state / "inbox-worker.sqlite3").stat().st_uid == pwd.getpwnam(user).pw_uid
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_the_unit_files_say_what_the_steps_rely_on():
    """The service runs as its own user with the file system read-only but its state folder, the
    secrets from a file, and the health timer runs the alerting check."""
    service = unit("inbox-worker.service")
    assert service["User"] == ["inbox-worker"] and service["ProtectSystem"] == ["strict"]
    assert service["StateDirectory"] == ["inbox-worker"]
    assert service["EnvironmentFile"] == ["/etc/inbox-worker/secrets.env"]
    assert service["Environment"] == ["INBOX_WORKER_CONFIG=/etc/inbox-worker/config.toml"]
    health = unit("inbox-worker-health.service")
    assert health["User"] == ["inbox-worker"] and health["StateDirectory"] == ["inbox-worker"]
    assert shlex.split(health["ExecStart"][0])[1:] == ["health", "--alert"]
    assert unit("inbox-worker-health.timer")["Unit"] == ["inbox-worker-health.service"]
    steps = (ROOT / "docs" / "deployment.md").read_text()
    assert "systemctl enable --now inbox-worker.service inbox-worker-health.timer" in steps
    assert "journalctl -u inbox-worker" in steps


def test_systemd_accepts_the_unit_files(tmp_path):
    """`systemd-analyze verify` finds nothing wrong in the units (the program's path made real)."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed here (Debian: apt-get install systemd)")
    program = shutil.which("inbox-worker", path=str(Path(sys.executable).parent)) or sys.executable
    for name in UNITS:
        (tmp_path / name).write_text((DEPLOY / name).read_text().replace("/opt/inbox-worker/bin/inbox-worker",
                                                                         program))
    done = subprocess.run([analyze, "verify", "--man=no", *(str(tmp_path / n) for n in UNITS)],
                          capture_output=True, text=True, timeout=60)
    ours = [line for line in done.stderr.splitlines() if str(tmp_path) in line or "inbox-worker" in line]
    assert done.returncode == 0 and not ours, done.stderr


def test_the_secrets_file_sets_the_passwords_for_systemd_and_a_shell_alike(monkeypatch):
    """Each line of deploy/secrets.env.example is a setting the program reads, and a shell that
    sources the file (as the README's `export` lines do) gets the same values systemd would."""
    example = DEPLOY / "secrets.env.example"
    lines = [line for line in example.read_text().splitlines() if line and not line.startswith("#")]
    pairs = dict(re.fullmatch(r"(INBOX_WORKER_[A-Z0-9_]+)='([^']*)'", line).groups() for line in lines)
    assert {"INBOX_WORKER_IMAP__PASSWORD", "INBOX_WORKER_SMTP__PASSWORD"} <= set(pairs)
    bash = shutil.which("bash") or "/bin/bash"
    shell = subprocess.run([bash, "-c", f"set -a; . {shlex.quote(str(example))}; env -0"], env={},
                           capture_output=True, timeout=30, check=True)
    from_shell = dict(item.split("=", 1) for item in shell.stdout.decode().split("\0") if "=" in item)
    assert {k: from_shell[k] for k in pairs} == pairs
    monkeypatch.delenv("INBOX_WORKER_CONFIG", raising=False)
    for name, value in pairs.items():
        monkeypatch.setenv(name, value)
    settings = load_settings(ROOT / "config.example.toml")
    assert settings.imap.password.get_secret_value() == pairs["INBOX_WORKER_IMAP__PASSWORD"]
    assert settings.smtp.password.get_secret_value() == pairs["INBOX_WORKER_SMTP__PASSWORD"]
    assert settings.schedule.token_secret.get_secret_value() == pairs["INBOX_WORKER_SCHEDULE__TOKEN_SECRET"]


# ---------------------------------------------------------------- what a container build sees
def _patterns(name: str) -> list[tuple[bool, re.Pattern[str]]]:
    """The ignore file's patterns as Docker and Podman read them: `*` and `?` within one path
    part, `**` across parts, `!` to take a path back, the last pattern that matches deciding."""
    out = []
    for raw in (ROOT / name).read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        keep, line = line.startswith("!"), line.lstrip("!").strip("/")
        regex, i = "", 0
        while i < len(line):
            if line.startswith("**/", i):
                regex, i = regex + "(?:.*/)?", i + 3
            elif line.startswith("**", i):
                regex, i = regex + ".*", i + 2
            elif line[i] == "*":
                regex, i = regex + "[^/]*", i + 1
            elif line[i] == "?":
                regex, i = regex + "[^/]", i + 1
            elif line[i] == "[":
                end = line.index("]", i)
                regex, i = regex + line[i:end + 1], end + 1
            else:
                regex, i = regex + re.escape(line[i]), i + 1
        out.append((keep, re.compile(regex)))
    return out


def _ignored(patterns, path: str) -> bool:
    parts = path.split("/")
    # A path is left out when it or a folder above it matches.
    candidates = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]
    ignored = False
    for keep, regex in patterns:
        if any(regex.fullmatch(c) for c in candidates):
            ignored = not keep
    return ignored


@pytest.mark.parametrize("name", [".containerignore", ".dockerignore"])
def test_the_build_context_leaves_out_the_venv_databases_and_mail(name):
    """The ignore file keeps .venv, databases and their logs, raw mail, dry-run and demo output
    out of the image, and keeps everything the Containerfile copies in."""
    patterns = _patterns(name)
    for path in (".venv/bin/python", ".venv/lib/python3.11/site-packages/x.py", "inbox-worker.sqlite3",
                 "inbox-worker.sqlite3-wal", "state/inbox-worker.wla.sqlite3", "var/lib/x.db",
                 "demo-output/inbox-worker.sqlite3", "demo-output/sent/a.eml", "raw-mail/ab/abcd.eml",
                 "somewhere/raw-mail/ab/abcd.eml", "outbox-eml/x.eml", "secrets.env", "deploy/secrets.env",
                 "tests/fixtures/intake/01-protege-inline.eml", "inbox_worker/__pycache__/config.cpython-311.pyc"):
        assert _ignored(patterns, path), path
    copied = [line.split()[1:-1] for line in (DEPLOY / "Containerfile").read_text().splitlines()
              if line.startswith("COPY ")]
    sources = [s for group in copied for s in group]
    assert set(sources) == {"pyproject.toml", "README.md", "config.example.toml", "templates", "deploy", "inbox_worker"}
    git = shutil.which("git") or "/usr/bin/git"
    tracked = subprocess.run([git, "ls-files", *sources], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.split()
    assert tracked and not [p for p in tracked if _ignored(patterns, p)]
    assert (ROOT / ".containerignore").read_text() == (ROOT / ".dockerignore").read_text()

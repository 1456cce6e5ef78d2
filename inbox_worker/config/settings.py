"""The one configuration model, loaded in one place.

Settings come from a TOML file (`--config PATH`, else `INBOX_WORKER_CONFIG`,
else the first found of those `places.py` lists), then each key may be
overridden from the environment as `INBOX_WORKER_<SECTION>__<KEY>` (for
example `INBOX_WORKER_IMAP__PASSWORD`). No other module reads the
environment. Passwords and tokens are `SecretStr`, so they print as
`**********` in logs, reprs and errors. Relative paths to what the program
writes resolve against `[paths] state_dir`, never beside the config file.
"""
from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic import (
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    model_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from inbox_worker.config.sections import (
    AlertSettings,
    ConfigError,
    DatabaseSettings,
    ImapSettings,
    MatchingSettings,
    PathsSettings,
    ProgramEntry,
    ProgramSettings,
    ScheduleSettings,
    SmtpSettings,
    WorkerSettings,
)
from inbox_worker.places import anchor_templates, config_candidates, in_folder

ENV_PREFIX = "INBOX_WORKER_"
CONFIG_ENV = "INBOX_WORKER_CONFIG"



class Settings(BaseSettings):
    """All settings. Build it with `load_settings`."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_nested_delimiter="__", extra="forbid")

    paths: PathsSettings = Field(default_factory=PathsSettings)
    imap: ImapSettings = Field(default_factory=ImapSettings)
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    program: ProgramSettings = Field(default_factory=ProgramSettings)
    worker: WorkerSettings = Field(default_factory=WorkerSettings)
    matching: MatchingSettings = Field(default_factory=MatchingSettings)
    schedule: ScheduleSettings = Field(default_factory=ScheduleSettings)
    alerts: AlertSettings = Field(default_factory=AlertSettings)
    # Several programs in one deployment; none listed means one program, "default".
    programs: list[ProgramEntry] = Field(default_factory=list)
    # Which program these settings are for (set by `for_program`).
    program_key: str = "default"
    # The file these settings were read from (None: built-in defaults and the environment).
    _config_file: Path | None = PrivateAttr(default=None)

    @property
    def config_file(self) -> Path | None:
        return self._config_file

    def program_keys(self) -> list[str]:
        return [p.key for p in self.programs] or ["default"]

    @model_validator(mode="after")
    def _in_the_state_dir(self) -> Settings:
        # Every path the program writes to resolves against the state folder, so a config in a
        # read-only /etc works and nothing lands beside it.
        base = Path(self.paths.state_dir).expanduser()
        base = base if base.is_absolute() else Path.cwd() / base
        self.paths.state_dir = str(base)
        self.database.url = in_folder(self.database.url, base)
        self.program.raw_store_dir = str(base / self.program.raw_store_dir)
        self.worker.outbox_dir = str(base / self.worker.outbox_dir)
        for entry in self.programs:
            if entry.program.get("raw_store_dir"):
                entry.program["raw_store_dir"] = str(base / entry.program["raw_store_dir"])
            if entry.worker.get("outbox_dir"):
                entry.worker["outbox_dir"] = str(base / entry.worker["outbox_dir"])
        return self

    @model_validator(mode="after")
    def _programs_apart(self) -> Settings:
        # Each program's raw-mail folder holds only the files its own records name: clean-ups
        # remove the others, so two programs sharing a folder would remove each other's mail.
        seen: dict[str, str] = {}
        for entry in self.programs:
            if entry.key in seen.values():
                raise ValueError(f"two programs have the key {entry.key!r}; give each its own")
            folder = entry.program.get("raw_store_dir") or str(Path(self.program.raw_store_dir) / entry.key)
            where = os.path.normpath(folder)
            if where in seen:
                raise ValueError(f"programs {seen[where]!r} and {entry.key!r} share the raw-mail folder "
                                 f"{folder}; give each its own program.raw_store_dir")
            seen[where] = entry.key
        return self

    def for_program(self, key: str | None = None) -> Settings:
        """The settings of one program: the top level, with that program's own values over it.

        Each program keeps its records apart: its own schema on PostgreSQL, its own file
        on SQLite, its own raw-mail folder.
        """
        keys = self.program_keys()
        if key is None:
            if len(keys) > 1:
                raise ConfigError(f"this deployment runs several programs ({', '.join(keys)}): say which "
                                  "with --program KEY")
            key = keys[0]
        if key not in keys:
            raise ConfigError(f"no program {key!r} in the configuration; the programs are: {', '.join(keys)}")
        if not self.programs:
            return self
        entry = next(p for p in self.programs if p.key == key)
        data = self.model_dump(exclude={"programs", "program_key"})
        for section in ("imap", "smtp", "program", "schedule", "matching", "worker"):
            data[section] = _deep_merge(data[section], getattr(entry, section))
        db = dict(data["database"])
        if db["url"].startswith("sqlite:///") and db["url"] != "sqlite:///:memory:":
            stem, dot, ext = db["url"].rpartition(".")
            db["url"] = f"{stem}.{key}.{ext}" if dot and "/" not in ext else f"{db['url']}.{key}"
        else:
            db["schema_name"] = f"program_{key.replace('-', '_')}"
        data["database"] = db
        if "raw_store_dir" not in entry.program:
            data["program"]["raw_store_dir"] = str(Path(data["program"]["raw_store_dir"]) / key)
        data = _reveal(data)
        chosen = Settings.model_validate({**data, "programs": [], "program_key": key})
        chosen._config_file = self._config_file
        return chosen

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The environment wins over the file, key by key.
        return (env_settings, init_settings)


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        out[k] = _deep_merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def _reveal(value: Any) -> Any:
    """Secrets as plain values again, so a dumped model can be validated anew."""
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, dict):
        return {k: _reveal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_reveal(v) for v in value]
    return value


def find_config(explicit: str | Path | None = None) -> Path | None:
    """The config file to read: `explicit` (--config), else $INBOX_WORKER_CONFIG, else the first of
    `places.config_candidates()` that exists; None when there is none (built-in defaults apply)."""
    named = explicit or os.environ.get(CONFIG_ENV)
    if named:
        return Path(named)
    return next((p for p in config_candidates() if p.is_file()), None)


def load_settings(path: str | Path | None = None, *, overrides: dict[str, Any] | None = None,
                  search: bool = True) -> Settings:
    """Read the TOML file (`path`, else the one `find_config` finds unless `search` is off), then
    the environment; raise ConfigError with a fix on failure."""
    p = find_config(path) if search or path else None
    data: dict[str, Any] = {}
    if p is not None:
        if not p.is_file():
            raise ConfigError(f"the configuration file {p} does not exist. Write one with `inbox-worker init {p}` "
                              f"(the documented example, as in config.example.toml) and edit it, or leave "
                              f"--config and {CONFIG_ENV} out to use the built-in defaults.")
        try:
            data = tomllib.loads(p.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
            raise ConfigError(f"{p} is not valid TOML: {e}. Compare it with config.example.toml.") from e
        except OSError as e:
            raise ConfigError(f"cannot read the configuration file {p}: {e.strerror}") from None
        # A template overrides folder is read, never written: relative to the file, so the file
        # and its templates can move together. Everything written goes to the state folder.
        data = anchor_templates(data, p.resolve().parent)
    if overrides:
        data = _deep_merge(data, overrides)
    try:
        settings = Settings(**data)
    except ValidationError as e:
        problems = "; ".join(
            f"{'.'.join(str(x) for x in err['loc'])}: {err['msg']}" for err in e.errors(include_input=False)
        )
        raise ConfigError(f"the configuration has problems: {problems}. See config.example.toml for "
                          f"every setting and its meaning.") from None
    settings._config_file = p.resolve() if p is not None else None
    return settings



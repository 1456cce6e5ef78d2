"""The one configuration model, loaded in one place: `load_settings` gives a `Settings`.

`sections` describes each part of the settings (what each means, its default); `settings`
puts them together, reads the TOML file and the environment, and says plainly what to fix
when something is wrong. No other module reads the environment.
"""
from inbox_worker.config.sections import (
    AlertSettings,
    ConfigError,
    DatabaseSettings,
    ImapSettings,
    MatchingSettings,
    OAuth2Settings,
    PathsSettings,
    ProgramEntry,
    ProgramSettings,
    ScheduleSettings,
    SmtpSettings,
    WorkerSettings,
)
from inbox_worker.config.settings import Settings, find_config, load_settings

__all__ = ["AlertSettings", "ConfigError", "DatabaseSettings", "ImapSettings", "MatchingSettings", "OAuth2Settings",
           "PathsSettings", "ProgramEntry", "ProgramSettings", "ScheduleSettings", "Settings", "SmtpSettings",
           "WorkerSettings", "find_config", "load_settings"]

"""Every command behaves alike: it takes --config, lists what it can show when asked for nothing,
and says plainly when a list is empty."""
from __future__ import annotations

from typer.main import get_command
from typer.testing import CliRunner

from inbox_worker.cli.main import app as cli_app


def _leaves(command, path=()):
    if hasattr(command, "commands"):
        for name, sub in command.commands.items():
            yield from _leaves(sub, (*path, name))
    else:
        yield path, command


def test_every_command_accepts_config():
    """Each command of `inbox-worker`, in every group, has a --config option."""
    without = [" ".join(path) for path, command in _leaves(get_command(cli_app))
               if "--config" not in [o for p in command.params for o in getattr(p, "opts", [])]]
    assert without == []


def test_preview_without_a_name_lists_the_templates():
    """`preview` alone lists every template with what it is for, and exits 0."""
    done = CliRunner().invoke(cli_app, ["preview"])
    assert done.exit_code == 0, done.output
    assert "acknowledgement_update" in done.output and "review_notice" in done.output


def test_an_empty_outbox_state_is_said_in_words(year):
    """`outbox list --state failed` with none failed says "no failed email"; a state that does not
    exist is refused with the ones that do."""
    done = CliRunner().invoke(cli_app, ["outbox", "list", "--state", "failed", "--config", str(year.config)])
    assert done.exit_code == 0 and done.output.strip() == "no failed email"
    wrong = CliRunner().invoke(cli_app, ["outbox", "list", "--state", "broken", "--config", str(year.config)])
    assert wrong.exit_code == 2 and "pending, sent, failed, withdrawn" in wrong.output

"""An installed wheel carries everything the program reads at run time."""
from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).parent.parent


def test_a_built_wheel_finds_its_templates_migrations_demo_and_example_config(tmp_path):
    """Built and unpacked alone, the wheel renders every template, knows its migrations and demo
    mail, carries the deploy files, and `init` writes the example config from inside it."""
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
                    "-w", str(tmp_path / "dist"), str(ROOT)], check=True, capture_output=True, timeout=300)
    wheel = next((tmp_path / "dist").glob("inbox_worker-*.whl"))
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    probe = (
        "from inbox_worker.outbound.emails import TEMPLATES, Templates, bundled_templates_dir\n"
        "from inbox_worker.config import Settings\n"
        "from inbox_worker.cli.samples import sample_context\n"
        "from inbox_worker import demo\n"
        "from inbox_worker.store import database as db\n"
        "print(bundled_templates_dir())\n"
        "for n in TEMPLATES: Templates().render(n, sample_context(n, Settings()))\n"
        "print(sorted(p.name for p in (db.MIGRATIONS / 'versions').glob('*.py')))\n"
        "print(len(list(demo.MESSAGES.glob('*.eml'))))\n"
        "from inbox_worker.places import example_config\n"
        "print(example_config())\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True,
                          env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"}, timeout=60)
    assert done.returncode == 0, done.stderr
    templates_dir, migrations, demo_count, example = done.stdout.splitlines()
    assert templates_dir.startswith(str(site))
    assert "0001_initial_schema.py" in migrations
    assert int(demo_count) > 0
    assert example.startswith(str(site)) and Path(example).read_text() == (ROOT / "config.example.toml").read_text()
    shipped = {Path(n).name for n in zipfile.ZipFile(wheel).namelist() if "/example/deploy/" in n}
    assert shipped == {p.name for p in (ROOT / "deploy").iterdir()}
    init = subprocess.run([sys.executable, "-m", "inbox_worker", "init", str(tmp_path / "new.toml")], cwd=tmp_path,
                          capture_output=True, text=True, env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
                          timeout=60)
    assert init.returncode == 0, init.stderr
    assert (tmp_path / "new.toml").read_text() == (ROOT / "config.example.toml").read_text()

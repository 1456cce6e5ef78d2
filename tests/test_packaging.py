"""An installed wheel carries everything the program reads at run time."""
from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).parent.parent


def test_a_built_wheel_finds_its_templates_migrations_and_demo(tmp_path):
    """Built and unpacked alone, the wheel renders every template and knows its migrations and demo mail."""
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
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True,
                          env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"}, timeout=60)
    assert done.returncode == 0, done.stderr
    templates_dir, migrations, demo_count = done.stdout.splitlines()
    assert templates_dir.startswith(str(site))
    assert "0001_initial_schema.py" in migrations
    assert int(demo_count) > 0

"""The maintainers group after `migrate`, run as an operator runs it (a fresh database)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from optout.admin.group import PERMISSIONS

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def manage(database: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DEBUG": "true", "DATABASE_URL": f"sqlite:///{database}"}
    env["VAR_DIR"] = str(database.parent / "var")
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def test_a_fresh_migrate_gives_the_maintainers_group_every_permission_at_once(
    tmp_path: Path,
) -> None:
    database = tmp_path / "fresh.sqlite3"
    # optout's migrations alone first (auth's tables do not exist yet), as a
    # rollback rehearsal or a partial upgrade would: no error from the group.
    partial = manage(database, "migrate", "optout", "0010", "-v0")
    assert partial.returncode == 0, partial.stderr

    full = manage(database, "migrate", "-v0")
    assert full.returncode == 0, full.stderr

    count = manage(
        database,
        "shell",
        "-v0",
        "-c",
        "from django.contrib.auth.models import Group; "
        "print(Group.objects.get(name='maintainers').permissions.count())",
    )
    assert count.returncode == 0, count.stderr
    assert int(count.stdout.strip()) == len(PERMISSIONS)

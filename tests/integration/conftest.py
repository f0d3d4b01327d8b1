"""What the integration tests share: running the `cobro` command as a person does."""

import os
import subprocess
import sys

import pytest


@pytest.fixture
def cobro(database_url, tmp_path):
    """Runs `python -m cobro ARGS` on the test database, in a scratch directory, and returns the result."""

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "COBRO_DATABASE_URL": database_url, "COBRO_IMPORT_WORKERS": "1"}
        return subprocess.run(
            [sys.executable, "-m", "cobro", *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=120,
        )

    return run

"""The one settings module passes Django's deployment checks with production-like values."""

import os
import subprocess
import sys

from tests.conftest import REPO_ROOT

PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "k3y-" + "x7Qz9!vR2#pL8@wN5$tB1^mC4&hF6*jD0(gS3)yK" * 2,
    "ALLOWED_HOSTS": "attendance.example.org",
    "CSRF_TRUSTED_ORIGINS": "https://attendance.example.org",
}


def _inherited():
    # The browser tests' allowance for the ORM beside Playwright is no production setting.
    return {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}


def _manage(*args, env):
    return subprocess.run(  # noqa: S603 -- our own manage.py with fixed arguments.
        [sys.executable, "manage.py", *args],
        cwd=REPO_ROOT,
        env={**_inherited(), **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_deploy_checks_pass_with_production_environment():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_with_the_development_key():
    env = {**PRODUCTION, "SECRET_KEY": ""}
    env.pop("SECRET_KEY")
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=REPO_ROOT,
        env={k: v for k, v in {**_inherited(), **env}.items() if k != "SECRET_KEY"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "Set SECRET_KEY" in result.stderr

"""Settings read from the environment: the embedded server is a development default only."""

import os

from enerlink.devtools import scratch


def manage(*args, env):
    return scratch.run_manage(*args, base_env=env, timeout=120)


def production_env(**extra):
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env.update(DEBUG="0", SECRET_KEY="a-production-secret-key-that-is-long-enough-for-the-checks", **extra)
    return env


def test_without_database_url_and_debug_off_the_project_refuses_to_start(tmp_path):
    """A production pod that lost DATABASE_URL must not start a database of its own in the app folder."""
    data_dir = tmp_path / "pgdata"
    result = manage("migrate", env=production_env(ENERLINK_PGDATA=str(data_dir)))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "enerlink: DATABASE_URL is not set and DEBUG is off: set DATABASE_URL to the production database "
        "(the embedded PostgreSQL is a development default and only starts with DEBUG on)."
    ]
    assert not data_dir.exists(), "no embedded server may be started"


def test_the_development_secret_key_is_refused_with_debug_off(owner_role):
    env = production_env(DATABASE_URL=scratch.server_url("postgres"))
    env.pop("SECRET_KEY")
    result = manage("check", env=env)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("enerlink: DEBUG is off but SECRET_KEY is the development key.")


def test_a_malformed_number_in_the_production_settings_is_one_line():
    env = production_env(
        DATABASE_URL="postgresql://enerlink@db.invalid/enerlink", SECURE_HSTS_SECONDS="a year"
    )
    result = manage("check", env=env)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "enerlink: SECURE_HSTS_SECONDS must be a whole number of seconds, not 'a year'."
    ]


def test_development_tooling_is_not_installed_in_production():
    """With DEBUG off, the demo, the data builder and django_extensions' commands are not there at all."""
    env = production_env(DATABASE_URL="postgresql://enerlink@127.0.0.1:1/enerlink")
    for command in ("demo", "build_legacy_data", "lint_migrations", "graph_models"):
        result = manage(command, "--help", env=env)
        assert result.returncode == 1 and f"Unknown command: '{command}'" in result.stderr, result.stderr
    assert manage("migrate", "--help", env=env).returncode == 0

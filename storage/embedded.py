"""
The embedded PostgreSQL used when DATABASE_URL is unset: a pgserver instance in the data directory.

It is kept across restarts (the data directory persists) and stopped when the last process using it
exits. Nothing else in the project knows pgserver exists: callers just get a connection URL.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import Any

# pgserver's handle must stay referenced: the server stops when the last handle is collected.
_servers: dict[Path, Any] = {}


def embedded_database_url(data_dir: Path, database: str = "postgres") -> str:
    """Start (or join) the embedded server under data_dir and return a URL for asyncpg."""
    data_dir.mkdir(parents=True, exist_ok=True)
    # pgserver asks platformdirs for a private runtime directory; containers often lack one.
    runtime = data_dir / "run"
    runtime.mkdir(mode=0o700, exist_ok=True)
    os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime.resolve()))
    import pgserver  # imported late: it is heavy and unused when DATABASE_URL is set

    pgdata = (data_dir / "pgdata").resolve()
    server = _servers.get(pgdata)
    if server is None:
        # Processes starting at once (test workers, several gateway workers) would all run initdb
        # on the same empty directory: one starts the server, the others join it.
        with (data_dir / "start.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            server = pgserver.get_server(  # type: ignore[attr-defined]
                pgdata, cleanup_mode="stop"
            )
        _servers[pgdata] = server
    uri: str = server.get_uri(database)
    return uri

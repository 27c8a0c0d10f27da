"""A throwaway PostgreSQL server for the store tests: Debian's server binaries, a data folder of its own,
loopback only, trust authentication, stopped when the tests end.

Under CI (where ``.ci/run`` installs the ``postgresql`` package) a missing server is a failure; locally
the tests that need it skip with the reason.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

SERVER_USER = "postgres"  # Debian's package creates it; the server refuses to run as root


def server_binaries() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parent.parent.name))
    return found[-1].parent if found else None


def need_server() -> Path:
    bindir = server_binaries()
    if bindir is None:
        reason = "PostgreSQL's server is not installed (apt-get install postgresql); .ci/run installs it"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    if os.environ.get("CI"):
        import psycopg  # noqa: F401  (a missing driver fails under CI, it does not skip)
    else:
        pytest.importorskip("psycopg", reason="the PostgreSQL driver is not installed: pip install -e '.[test]'")
    return bindir


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


CONTROL: dict[str, tuple] = {}  # server URL -> (binaries, data, log, options, run-as) for ``restart``


def restart(server_url: str, down_s: float = 1.0) -> None:
    """Stop the server at once (every connection is cut, as in a crash), wait, and start it again."""
    import time

    bindir, data, log, options, as_user = CONTROL[server_url]
    subprocess.run([bindir / "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"], check=True,
                   capture_output=True, **as_user)
    time.sleep(down_s)
    subprocess.run([bindir / "pg_ctl", "-D", data, "-l", log, "-w", "-t", "60", "start", "-o", options],
                   check=True, capture_output=True, **as_user)


@contextlib.contextmanager
def postgres_server() -> Iterator[str]:
    """Start a server; yield the URL of its ``postgres`` maintenance database (SQLAlchemy, psycopg 3)."""
    bindir = need_server()
    folder = Path(tempfile.mkdtemp(prefix="sandbox-pg-"))
    as_user: dict = {}
    if os.geteuid() == 0:
        account = pwd.getpwnam(SERVER_USER)
        os.chown(folder, account.pw_uid, account.pw_gid)
        as_user = {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}
    data, log, port = folder / "data", folder / "server.log", _free_port()
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
    run = dict(check=True, capture_output=True, text=True, **as_user)
    try:
        subprocess.run([bindir / "initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8",
                        "--locale=C.UTF-8", "--no-sync"], **run)
        subprocess.run([bindir / "pg_ctl", "-D", data, "-l", log, "-w", "-t", "60", "start", "-o", options], **run)
    except subprocess.CalledProcessError as e:
        server_log = log.read_text() if log.exists() else ""
        shutil.rmtree(folder, ignore_errors=True)
        raise RuntimeError(f"PostgreSQL did not start: {e.stderr or e.stdout}\n{server_log}") from e
    url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    CONTROL[url] = (bindir, data, log, options, as_user)
    try:
        yield url
    finally:
        CONTROL.pop(url, None)
        subprocess.run([bindir / "pg_ctl", "-D", data, "-m", "immediate", "stop"], capture_output=True, **as_user)
        shutil.rmtree(folder, ignore_errors=True)


def fresh_database(server_url: str, name: str) -> str:
    """Create an empty database on the server; return its URL."""
    from sqlalchemy import create_engine, text

    engine = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return server_url.rsplit("/", 1)[0] + f"/{name}"

"""A throwaway PostgreSQL cluster for tests and benchmarks: initdb and pg_ctl into a temporary
folder, listening on a Unix socket only, stopped and removed at the end.

The cluster has a database `dsm` owned by the role `dsm_admin` (who may create roles), as the
README tells an administrator to set up, and trusts local connections.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

INSTALL_HINT = "PostgreSQL is not installed (apt-get install postgresql)"


def find_bin() -> Path | None:
    """The folder of initdb and pg_ctl: on PATH, else Debian's /usr/lib/postgresql/N/bin."""
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent  # a link on PATH: the folder that also holds psql
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    return versions[-1].parent if versions else None


@dataclass
class Cluster:
    folder: Path
    bindir: Path
    socket: Path

    def url(self, user: str = "dsm_admin", database: str = "dsm") -> str:
        return f"postgresql://{user}@/{database}?host={self.socket}"

    def psql(self, sql: str, user: str = "postgres", database: str = "postgres") -> str:
        return _run([str(self.bindir / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", str(self.socket),
                     "-U", user, "-d", database, "-At", "-c", sql]).stdout

    def restart(self) -> None:
        # -l: the server must not inherit this process's pipes, or waiting for pg_ctl never ends.
        _run([str(self.bindir / "pg_ctl"), "-D", str(self.folder / "data"), "-l", str(self.folder / "log"), "-m",
              "fast", "-w", "restart"], as_owner=True)

    def stop(self) -> None:
        _run([str(self.bindir / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "immediate", "-w", "stop"],
             as_owner=True, check=False)
        shutil.rmtree(self.folder, ignore_errors=True)


def _run(cmd: list[str], as_owner: bool = False, check: bool = True) -> subprocess.CompletedProcess:
    # initdb and pg_ctl refuse to run as root: they run as the postgres user there.
    if as_owner and os.geteuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
    return subprocess.run(cmd, check=check, capture_output=True, text=True)


def start_cluster() -> Cluster:
    """Start a new cluster (raises RuntimeError with `INSTALL_HINT` where PostgreSQL is missing)."""
    bindir = find_bin()
    if bindir is None:
        raise RuntimeError(INSTALL_HINT)
    folder = Path(tempfile.mkdtemp(prefix="dsm-pg-"))
    socket = folder / "socket"
    socket.mkdir()
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
        shutil.chown(socket, "postgres")
    data = folder / "data"
    _run([str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale"],
         as_owner=True)
    options = f"-c listen_addresses='' -k {socket} -c fsync=off -c max_connections=60"
    _run([str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w", "start"],
         as_owner=True)
    cluster = Cluster(folder, bindir, socket)
    try:
        cluster.psql("CREATE ROLE dsm_admin LOGIN CREATEROLE")
        cluster.psql("CREATE DATABASE dsm OWNER dsm_admin")
    except BaseException:
        cluster.stop()
        raise
    return cluster

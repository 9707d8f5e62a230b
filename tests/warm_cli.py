"""`dsm-assess` for tests that run it as processes (the README walkthrough's many commands in a row,
imports side by side, a batch interrupted): each command is a process forked from one interpreter
that has already imported the kit and the libraries its commands load, instead of a new
interpreter that imports them again (about 0.6 s a command).

What a command sees is still its own: a new process, with its arguments, working folder,
environment, standard streams and exit status, and nothing left in memory by the commands before
it. What a fork cannot show, the console script and what a command imports, test_package checks on
real processes."""

from __future__ import annotations

import gc
import json
import os
import secrets
import signal
import socket
import struct
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

# What the commands load between them; importing it once here is the whole point.
PRELOAD = ("dsm_assess.cli", "dsm_assess.api", "dsm_assess.batch", "dsm_assess.deliver.report",
           "dsm_assess.planning.plan", "dsm_assess.planning.solver", "dsm_assess.scoring.assessment",
           "dsm_assess.capture.intake", "pandas", "openpyxl", "docx", "matplotlib.pyplot")

# The stand-in on PATH: stdlib only, no site packages, so it starts in a few milliseconds. It hands
# its arguments, folder, environment and its own stdin, stdout and stderr to the server, passes on
# the signals a user or a test sends it (Ctrl-C, a stop) to the command's process, and exits with
# the command's status. The command sends two lines: its process id, then its status.
SHIM = """#!{python} -IS
import json, os, signal, socket, struct, sys
s = socket.socket(socket.AF_UNIX)
s.connect({sock!r})
msg = json.dumps({{"argv": sys.argv, "cwd": os.getcwd(), "env": dict(os.environ)}}).encode()
socket.send_fds(s, [struct.pack("!I", len(msg)) + msg], [0, 1, 2])
lines = s.makefile()
pid = int(lines.readline())
sent = []
def forward(number, frame):
    sent.append(number)
    os.kill(pid, number)
for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
    signal.signal(sig, forward)
status = lines.readline()
if not status and sent:  # killed by the signal passed on: end the same way
    signal.signal(sent[-1], signal.SIG_DFL)
    os.kill(os.getpid(), sent[-1])
if not status:
    sys.stderr.write("dsm-assess: the command's process ended without an exit status\\n")
sys.exit(int(status) if status else 70)
"""


def _receive(conn: socket.socket) -> tuple[dict, list[int]]:
    data, fds, _, _ = socket.recv_fds(conn, 1 << 20, 3)
    size = struct.unpack("!I", data[:4])[0]
    data = data[4:]
    while len(data) < size:
        data += conn.recv(size - len(data))
    return json.loads(data), fds


def _run_command(conn: socket.socket) -> None:
    """In the forked child: become the command, run it, send its status."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the command waits for its own children
    request, fds = _receive(conn)
    conn.sendall(f"{os.getpid()}\n".encode())
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    os.chdir(request["cwd"])
    seed = os.environ.get("PYTHONHASHSEED")
    os.environ.clear()
    os.environ.update(request["env"])
    sys.argv = request["argv"]
    code = 0
    try:
        if request["env"].get("PYTHONHASHSEED", seed) != seed:  # fixed when the server started
            raise SystemExit(f"dsm-assess (warm): PYTHONHASHSEED={request['env']['PYTHONHASHSEED']} asked for, "
                             f"but this server runs with {seed}: run a real process instead")
        from dsm_assess.cli import main
        main()
    except SystemExit as stop:  # as the console script's sys.exit(main()) turns it into a status
        if isinstance(stop.code, int):
            code = stop.code
        elif stop.code is not None:
            print(stop.code, file=sys.stderr)
            code = 1
    except BaseException:
        import traceback
        traceback.print_exc()
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    conn.sendall(f"{code}\n".encode())
    os._exit(code)


def serve(sock: str) -> None:
    import importlib
    for module in PRELOAD:
        importlib.import_module(module)
    gc.freeze()  # what is loaded now stays shared with every fork, out of the collector's way
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # finished commands need no reaping
    server = socket.socket(socket.AF_UNIX)
    server.bind(sock)
    server.listen(8)
    server.settimeout(1)
    parent = os.getppid()
    print("ready", flush=True)
    while True:
        try:
            conn, _ = server.accept()
        except TimeoutError:
            if os.getppid() != parent:  # the tests that started it were killed: nobody will ask again
                return
            continue
        sys.stdout.flush()
        sys.stderr.flush()
        if os.fork() == 0:
            try:
                server.close()
                _run_command(conn)
            finally:  # the child never returns to this loop, whatever happened
                os._exit(70)
        conn.close()


@contextmanager
def warm_cli(folder: Path, env: dict[str, str]):
    """A folder to put first on PATH in which `dsm-assess` runs through a warm server started with
    `env`; the server stops when the block ends."""
    folder.mkdir(parents=True, exist_ok=True)
    # an abstract socket (Linux): no file to clean up, and no limit of 108 bytes on a deep path
    sock = f"\0dsm-assess-warm-{os.getpid()}-{secrets.token_hex(8)}"
    # this folder on sys.path only long enough to import this module: the commands import as installed
    start = f"import sys; sys.path[0] = {str(Path(__file__).parent)!r}; import warm_cli; del sys.path[0]; " \
            f"warm_cli.serve({sock!r})"
    server = subprocess.Popen([sys.executable, "-c", start], cwd=folder, env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout.readline().strip() == "ready", "the warm dsm-assess server did not start"
        shim = folder / "dsm-assess"
        shim.write_text(SHIM.format(python=sys.executable, sock=sock))
        shim.chmod(0o755)
        yield folder
    finally:
        server.kill()
        server.communicate()

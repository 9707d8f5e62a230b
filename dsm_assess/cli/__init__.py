"""The `dsm-assess` command: a thin shell over the package's public functions.

Conventions every command keeps (README, "Command-line conventions"): `--json` prints data for
scripts; `--out-dir` says where files go (default reports/SLUG/); `--root` names the
engagements folder; dates are YYYY-MM-DD; ids match case-insensitively. Exit codes: 0 done,
1 a user mistake the kit found, 2 a usage error from the parser, 3 a file rejected on import.

User mistakes arrive as `DsmError` and leave, in one place (`common.Group.invoke`), as one clear
message on stderr and the error's exit code; never as a traceback. Each command imports the
heavy libraries it needs when it runs, so `--help` and light commands start quickly.
"""

from __future__ import annotations

# Each module adds its commands to `app` when imported.
from . import capture_cmds, engagement_cmds, framework_cmds, roadmap_cmds, score_cmds  # noqa: E402, F401, I001
from .common import app


def main() -> None:
    """Console entry point."""
    app()

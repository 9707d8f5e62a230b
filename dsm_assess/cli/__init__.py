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

from importlib import import_module

from dsm_assess.cli.common import app

# Each module adds its commands to `app` when imported, in the order --help lists them.
COMMAND_MODULES = ("framework_cmds", "engagement_cmds", "capture_cmds", "workshop_cmds", "target_cmds",
                   "score_cmds", "roadmap_cmds", "tom_cmds", "report_cmds", "batch_cmds", "form_cmds", "store_cmds")
for _name in COMMAND_MODULES:
    import_module(f"{__name__}.{_name}")


def main() -> None:
    """Console entry point."""
    app()

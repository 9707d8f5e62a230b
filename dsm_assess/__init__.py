"""DSM Assessment Kit: assess IT service management maturity and design the operating model.

    import dsm_assess as dsm
    e = dsm.open("acme")      # an engagement under engagements/ (or $DSM_ASSESS_ROOT)
    a = e.assess()            # scores; e.plan(a), e.tom_check(a), e.report("executive")
"""

from importlib.metadata import PackageNotFoundError, version

from dsm_assess.core.errors import DsmError, InvalidInput, NotFound

try:
    __version__ = version("dsm-assess")
except PackageNotFoundError:  # imported from a checkout that was never installed
    __version__ = "0.0.0+unknown"

__all__ = ["DsmError", "Engagement", "InvalidInput", "NotFound", "__version__", "open"]


def __getattr__(name: str):
    # The front door loads the whole pipeline; every submodule imports this package first, so it
    # is loaded on first use, not on import (the CLI starts without pandas for `--help`).
    if name in ("open", "Engagement"):
        from dsm_assess import api
        return getattr(api, name)
    raise AttributeError(f"module 'dsm_assess' has no attribute {name!r}")

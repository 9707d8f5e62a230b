"""Edit a YAML file a consultant also edits by hand, keeping its comments, order and layout.

Commands that change engagement.yaml (targets, business context, roadmap pins, the TOM proposal)
go through `edit_yaml`: it loads the file with ruamel.yaml's round-trip loader, lets the caller
change the data in place, and writes the result atomically (temporary file, then rename).
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from dsm_assess.core.errors import DsmError
from dsm_assess.formats.yamlfile import display_path

T = TypeVar("T")


def _yaml():
    from ruamel.yaml import YAML

    yaml = YAML()  # round-trip: comments, key order and quoting survive
    yaml.preserve_quotes = True
    yaml.width = 100
    yaml.indent(mapping=2, sequence=2, offset=0)  # the layout the kit itself writes
    return yaml


def edit_yaml(path: Path, change: Callable[[dict], T]) -> T:
    """Apply `change` to the file's top-level mapping and save it; returns what `change` returns.

    The file is written only if `change` returns without raising, and only if the data changed.
    """
    from ruamel.yaml import YAMLError

    yaml = _yaml()
    text = path.read_text(encoding="utf-8")
    try:
        data = yaml.load(text)
    except YAMLError as exc:
        raise DsmError(f"{display_path(path)}: cannot be edited, it is not valid YAML ({exc})") from None
    if data is None:
        from ruamel.yaml.comments import CommentedMap
        data = CommentedMap()
    if not hasattr(data, "keys"):
        raise DsmError(f"{display_path(path)}: expected a mapping at the top level")
    result = change(data)
    out = io.StringIO()
    yaml.dump(data, out)
    if out.getvalue() != text:
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(out.getvalue(), encoding="utf-8")
        tmp.replace(path)
    return result


def section(data: dict, key: str) -> dict:
    """The mapping under `key`, created (at the end of the file) if it is missing or empty."""
    from ruamel.yaml.comments import CommentedMap

    if not isinstance(data.get(key), dict):
        data[key] = CommentedMap()
    return data[key]

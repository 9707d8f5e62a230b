"""Edit a YAML file a consultant also edits by hand, keeping its comments, order and layout.

`load_yaml` reads the text with ruamel.yaml's round-trip loader so that a caller can change the
data in place; `dump_yaml` writes it back in the kit's layout. engagement/edit.py is the one
place that uses them on engagement.yaml (with its lock, checks and audit row).
"""

from __future__ import annotations

import io
from pathlib import Path

from dsm_assess.core.errors import DsmError
from dsm_assess.formats.yamlfile import display_path


def reads_as_other(text: str) -> bool:
    """True if `text`, written unquoted, would be read back by the kit (PyYAML, YAML 1.1) as
    something other than that text: `no`, `On`, `~`, `1e3`, `0x10`, `2026-01-01`, `1:20`, ..."""
    import yaml

    return yaml.resolver.Resolver().resolve(yaml.ScalarNode, text, (True, False)) != "tag:yaml.org,2002:str"


def _representer():
    from ruamel.yaml.representer import RoundTripRepresenter

    class Representer(RoundTripRepresenter):
        """ruamel writes YAML 1.2, where `no` is text; the kit reads YAML 1.1, where it is false.
        Every string that 1.1 would read as something else is written quoted."""

    def represent_str(self, data):
        if reads_as_other(data):
            return self.represent_scalar("tag:yaml.org,2002:str", data, style="'")
        return RoundTripRepresenter.represent_str(self, data)

    Representer.add_representer(str, represent_str)
    return Representer


def _yaml():
    from ruamel.yaml import YAML

    yaml = YAML()  # round-trip: comments, key order and quoting survive
    yaml.Representer = _representer()
    yaml.preserve_quotes = True
    yaml.width = 100
    yaml.indent(mapping=2, sequence=2, offset=0)  # the layout the kit itself writes
    return yaml


def load_yaml(text: str, path: Path) -> dict:
    """The top-level mapping of YAML `text` (from the file `path`) for editing in place."""
    from ruamel.yaml import YAMLError

    try:
        data = _yaml().load(text)
    except YAMLError as exc:
        raise DsmError(f"{display_path(path)}: cannot be edited, it is not valid YAML ({exc}); "
                       "fix it by hand first") from None
    if data is None:
        from ruamel.yaml.comments import CommentedMap
        data = CommentedMap()
    if not hasattr(data, "keys"):
        raise DsmError(f"{display_path(path)}: expected a mapping at the top level")
    return data


def dump_yaml(data: dict) -> str:
    """`data` as YAML text in the kit's layout, every string reading back as itself."""
    out = io.StringIO()
    _yaml().dump(data, out)
    return out.getvalue()


def section(data: dict, key: str) -> dict:
    """The mapping under `key`, created (at the end of the file) if it is missing or empty."""
    from ruamel.yaml.comments import CommentedMap

    if not isinstance(data.get(key), dict):
        data[key] = CommentedMap()
    return data[key]

"""Read YAML files a user edits, keeping line numbers so problems can point at them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import BaseModel, ValidationError

from dsm_assess.core.errors import Problem


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml is ~10x faster than pure Python
    """The safe loader, except that a date-like value that is no date (`2026-13-45`) stays text,
    so that the model reading it can say where it is instead of the loader failing."""


def _timestamp(loader, node):
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)


def _mapping(loader, node):
    """A mapping whose keys are all different: YAML's rule, which PyYAML does not enforce (the last
    of two equal keys would silently win)."""
    seen: dict[object, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            first = seen.setdefault(key, key_node.start_mark.line + 1)
        except TypeError:  # a key that cannot be hashed: the constructor reports it
            continue
        if first != key_node.start_mark.line + 1:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r} (first at line {first}): keep one of them",
                key_node.start_mark)
    return yaml.constructor.SafeConstructor.construct_mapping(loader, node, deep=True)


_Loader.add_constructor("tag:yaml.org,2002:map", _mapping)


def display_path(path: Path) -> str:
    """A path as a user would type it: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def yaml_path(loc: Sequence[str | int]) -> str:
    """`("practices", 3, "group")` -> `practices[3].group`."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


@dataclass
class YamlDoc:
    """A parsed YAML file with the means to find the line of any value in it."""

    path: Path
    data: object
    node: yaml.Node | None
    problems: list[Problem] = field(default_factory=list)

    @property
    def name(self) -> str:
        return display_path(self.path)

    def line(self, loc: Sequence[str | int]) -> int | None:
        """1-based line of the value at `loc`, or of its nearest existing parent."""
        node, line = self.node, (self.node.start_mark.line + 1 if self.node else None)
        for part in loc:
            child = None
            if isinstance(node, yaml.MappingNode):
                child = next((v for k, v in node.value if k.value == part), None)
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
                child = node.value[part] if 0 <= part < len(node.value) else None
            if child is None:
                break
            node, line = child, child.start_mark.line + 1
        return line

    def problem(self, loc: Sequence[str | int], message: str) -> Problem:
        return Problem(self.name, yaml_path(loc), message, self.line(loc))

    def validate(self, model: type[BaseModel], value: object, loc: Sequence[str | int]):
        """Validate `value` (found at `loc`) against `model`; None and problems recorded if invalid."""
        try:
            return model.model_validate(value)
        except ValidationError as exc:
            for err in exc.errors():
                where = [*loc, *err["loc"]]
                self.problems.append(self.problem(where, _plain(err)))
            return None

    def items(self, key: str) -> Iterable[tuple[int, object]]:
        """Enumerate the list under top-level `key`, recording a problem if it is missing."""
        value = self.data.get(key) if isinstance(self.data, dict) else None
        if not isinstance(value, list):
            self.problems.append(self.problem([key], "a list is required here"))
            return []
        return enumerate(value)


def _plain(err: dict) -> str:
    """Pydantic's message, phrased for someone editing the file."""
    if err["type"] == "missing":
        return "required field is missing"
    if err["type"] == "extra_forbidden":
        return "unknown field (check its spelling)"
    return err["msg"][0].lower() + err["msg"][1:]


def read_yaml(path: Path) -> YamlDoc:
    """Parse one YAML file; a syntax error becomes a problem with its line, never an exception.

    The text is parsed once, by libyaml where it is installed, into nodes (which keep their line
    marks for problems) and the data is built from those same nodes.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        return YamlDoc(path, None, None, [Problem(display_path(path), "", f"cannot read: {exc.strerror}")])
    except UnicodeDecodeError:
        return YamlDoc(path, None, None, [Problem(display_path(path), "", "not UTF-8 text")])
    return parse_yaml(text, path)


def parse_yaml(text: str, path: Path) -> YamlDoc:
    """Parse YAML text as `read_yaml` parses a file (problems name `path`): how a new version of a
    file is checked before it replaces the old one."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        what = getattr(exc, "problem", None) or "YAML syntax error"
        line = mark.line + 1 if mark else None
        if not isinstance(exc, yaml.constructor.ConstructorError):
            what = f"YAML syntax error: {what}"
        return YamlDoc(path, None, None, [Problem(display_path(path), "", what, line)])
    finally:
        loader.dispose()
    return YamlDoc(path, data, node)

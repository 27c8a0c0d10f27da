"""YAML loading that remembers where every value came from.

Every problem found in a course author's file is reported as
``file:line: field.path: message`` so it can be fixed without guessing.
Only ``yaml.safe_load``-equivalent construction is used: no tags, no code.
Each file is parsed once, with libyaml's safe loader when PyYAML was built with
it (about ten times faster than the pure-Python one, which stays the fallback):
the node tree keeps the line numbers, and the data are constructed from it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the same safe constructor either way


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one file, located as precisely as we can."""

    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field or '(file)'}: {self.message}"


class LoadError(Exception):
    """Raised when a file cannot be turned into a valid model; carries every problem found."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass(frozen=True)
class YamlDoc:
    """Parsed YAML data plus its node tree, used to find line numbers."""

    path: Path
    data: Any
    root: yaml.Node | None

    def line_of(self, loc: Iterable[Any]) -> int:
        return node_line(self.root, loc)


def read_yaml(path: Path) -> YamlDoc:
    """Read one YAML file safely; syntax errors become a LoadError with the line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise LoadError([Problem(str(path), 1, "", "file not found")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise LoadError([Problem(str(path), 1, "", f"cannot read file: {exc}")]) from None
    return parse_yaml_text(path, text)


def parse_yaml_text(path: Path, text: str, first_line: int = 1) -> YamlDoc:
    """YAML text that starts on ``first_line`` of ``path`` (front matter starts on line 2)."""
    pad = "\n" * (first_line - 1)  # so node marks, and so error lines, count from the file's top
    try:
        root, data = _parse(pad + text, SAFE_LOADER)
    except yaml.YAMLError as fast_error:
        # the pure-Python parser's messages are more specific ("found character '\t' that cannot start
        # any token"): a file with a mistake is parsed again by it, to report that
        try:
            _parse(pad + text, yaml.SafeLoader)
            exc = fast_error
        except yaml.YAMLError as slow_error:
            exc = slow_error
        if isinstance(exc, yaml.MarkedYAMLError):
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark else first_line
            raise LoadError([Problem(str(path), line, "", f"YAML syntax error: {exc.problem}")]) from None
        raise LoadError([Problem(str(path), first_line, "", f"YAML error: {exc}")]) from None
    return YamlDoc(path=path, data=data, root=root)


def _parse(text: str, loader_class) -> tuple[yaml.Node | None, Any]:
    """The node tree and the data built from it, in one pass (``yaml.safe_load`` parses and builds in one)."""
    loader = loader_class(text)
    try:
        root = loader.get_single_node()
        return root, loader.construct_document(root) if root is not None else None
    finally:
        loader.dispose()


def node_line(root: yaml.Node | None, loc: Iterable[Any]) -> int:
    """1-based line of the deepest node reachable along ``loc`` (keys and indexes)."""
    node = root
    if node is None:
        return 1
    line = node.start_mark.line + 1
    for part in loc:
        child = _child(node, part)
        if child is None:
            continue  # pydantic adds union tags to locations; skip what is not in the file
        node = child
        line = node.start_mark.line + 1
    return line


def _child(node: yaml.Node, part: Any) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if str(key.value) == str(part):
                # point at the key for containers so the message lands on the field name
                return value if isinstance(value, yaml.ScalarNode) else _KeyedNode(key, value)
        return None
    if isinstance(node, _KeyedNode):
        return _child(node.node, part)
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
        return node.value[part]
    return None


class _KeyedNode:
    """A container node whose reported position is its key's line."""

    def __init__(self, key: yaml.Node, node: yaml.Node):
        self.node = node
        self.start_mark = key.start_mark


def dotted(loc: Iterable[Any]) -> str:
    parts: list[str] = []
    for p in loc:
        if isinstance(p, int):
            parts.append(f"[{p}]")
        else:
            parts.append(("." if parts else "") + str(p))
    return "".join(parts)


def problems_from_validation(doc: YamlDoc, exc: ValidationError, prefix: tuple = ()) -> list[Problem]:
    """Turn pydantic's errors into located problems."""
    out = []
    for err in exc.errors(include_url=False):
        loc = prefix + tuple(err["loc"])
        clean = tuple(p for p in loc if not _is_union_tag(p))
        message = err["msg"]
        if err["type"] == "extra_forbidden":
            message = "unknown field"
        out.append(Problem(str(doc.path), doc.line_of(clean), dotted(clean), message))
    return out


def _is_union_tag(part: Any) -> bool:
    return isinstance(part, str) and ("[" in part or part.startswith("function-"))


def parse_model(doc: YamlDoc, model: type[M], context: dict | None = None) -> M:
    """Validate ``doc.data`` as ``model``; raise LoadError with located problems."""
    if not isinstance(doc.data, dict):
        raise LoadError([Problem(str(doc.path), 1, "", "expected a mapping of fields at the top level")])
    try:
        return model.model_validate(doc.data, context=context)
    except ValidationError as exc:
        raise LoadError(problems_from_validation(doc, exc)) from None

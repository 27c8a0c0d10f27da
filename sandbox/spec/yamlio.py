"""YAML loading that remembers where every value came from.

Every problem found in a course author's file is reported as
``file:line: field.path: message`` so it can be fixed without guessing.
Only ``yaml.safe_load``-equivalent construction is used: no tags, no code.
Each file is parsed once, with libyaml's safe loader when PyYAML was built with
it (about ten times faster than the pure-Python one, which stays the fallback):
the node tree keeps the line numbers, and the data are constructed from it.

This is the one entry point for every YAML file, from the command line, an
upload in the app, the lessons and the rubrics, and it is bounded before anything
is built (``Limits``): only regular files are read, and no more than their size
cap; the event stream is checked for nesting depth and for how many values the
document holds once every alias is expanded (a 2 KB "billion laughs" file holds
billions), so a hostile file is refused in milliseconds with its line. Messages
quote at most ``QUOTE_MAX`` characters of a rejected value (``quote``).
"""

from __future__ import annotations

import os
import reprlib
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the same safe constructor either way
QUOTE_MAX = 80  # characters of a rejected value a message quotes
SLOW_REPARSE_MAX_CHARS = 256 * 1024  # a file with a mistake is parsed again for a better message up to this size


@dataclass(frozen=True)
class Limits:
    """What one kind of file may be: bytes on disk, nesting depth, and values once aliases are expanded."""

    what: str
    max_bytes: int
    max_nodes: int
    max_depth: int = 50


MB = 1024 * 1024
PLAN = Limits("a plan file", max_bytes=1 * MB, max_nodes=20_000)  # a learner's decisions: about 60 values
AUTHORED = Limits("a course file", max_bytes=5 * MB, max_nodes=250_000)  # scenarios, rubrics, lessons
# (the core rubric, the largest bundled file, holds about 3,500 values and nests 7 levels deep)


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


def read_text_file(path: Path, max_bytes: int, what: str = "this kind of file") -> str:
    """A regular file's text (UTF-8), refused before reading if it is larger than ``max_bytes``. Devices,
    FIFOs and sockets are refused too, also behind a symbolic link: ``/dev/zero`` never ends and a FIFO
    never answers."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # a FIFO opens at once, unread
    except FileNotFoundError:
        raise LoadError([Problem(str(path), 1, "", "file not found")]) from None
    except OSError as exc:
        raise LoadError([Problem(str(path), 1, "", f"cannot read file: {exc.strerror or exc}")]) from None
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise LoadError([Problem(str(path), 1, "", "not a regular file (a device, FIFO or socket): refused")])
        if info.st_size > max_bytes:
            raise LoadError([Problem(str(path), 1, "", f"the file is {_size(info.st_size)}, more than the "
                                     f"{_size(max_bytes)} {what} may be")])
        raw = f.read(max_bytes + 1)  # a file that grew since it was measured is still cut off
    if len(raw) > max_bytes:
        raise LoadError([Problem(str(path), 1, "", f"the file is more than the {_size(max_bytes)} {what} may be")])
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise LoadError([Problem(str(path), line, "", "not UTF-8 text (a binary file?)")]) from None


def _size(n: int) -> str:
    return f"{n / MB:.1f} MB" if n >= MB else f"{n / 1024:.0f} KB" if n >= 1024 else f"{n} bytes"


def read_yaml(path: Path, limits: Limits = AUTHORED) -> YamlDoc:
    """Read one YAML file safely; syntax errors and files past ``limits`` become a LoadError with the line."""
    return parse_yaml_text(path, read_text_file(path, limits.max_bytes, limits.what), limits=limits)


def parse_yaml_text(path: Path, text: str, first_line: int = 1, limits: Limits = AUTHORED) -> YamlDoc:
    """YAML text that starts on ``first_line`` of ``path`` (front matter starts on line 2)."""
    if len(text) > limits.max_bytes:  # (characters: at most as many as bytes)
        raise LoadError([Problem(str(path), first_line, "", f"the text is more than the {_size(limits.max_bytes)} "
                                 f"{limits.what} may be")])
    pad = "\n" * (first_line - 1)  # so node marks, and so error lines, count from the file's top
    try:
        check_shape(pad + text, limits, str(path))
        root, data = _parse(pad + text, SAFE_LOADER)
    except ShapeError as exc:
        raise LoadError([Problem(str(path), exc.problem_mark.line + 1, "", exc.problem)]) from None
    except yaml.YAMLError as fast_error:
        raise LoadError([_syntax_problem(path, pad + text, fast_error, first_line)]) from None
    return YamlDoc(path=path, data=data, root=root)


def _syntax_problem(path: Path, text: str, fast_error: yaml.YAMLError, first_line: int) -> Problem:
    """The pure-Python parser's messages are more specific ("found character '\t' that cannot start any
    token"): a small file with a mistake is parsed again by it (its events only: composing recurses), to
    report that."""
    exc: BaseException = fast_error
    if len(text) <= SLOW_REPARSE_MAX_CHARS:
        try:
            for _ in yaml.parse(text, Loader=yaml.SafeLoader):
                pass
        except yaml.YAMLError as slow_error:
            exc = slow_error
        except RecursionError:
            pass
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else first_line
        return Problem(str(path), line, "", f"YAML syntax error: {exc.problem}")
    return Problem(str(path), first_line, "", f"YAML error: {quote(str(exc), 200)}")


_OPEN = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
_CLOSE = (yaml.MappingEndEvent, yaml.SequenceEndEvent)


def check_shape(text: str, limits: Limits, name: str) -> None:
    """Walk the document's events (nothing is built) and refuse it, with the line, if it nests deeper than
    ``limits.max_depth`` or holds more than ``limits.max_nodes`` values once aliases are expanded. Each
    anchored node's expanded size is remembered, so an alias costs what it stands for. An alias inside the
    node it names (a cycle) is refused too."""
    loader = SAFE_LOADER(text)
    sizes: dict[str, int] = {}  # anchor -> values it stands for
    open_: list[list] = []  # per open collection: [values so far, its anchor]
    total = 0
    try:
        while loader.check_event():
            event = loader.get_event()
            if isinstance(event, _OPEN):
                open_.append([1, event.anchor])
                if len(open_) > limits.max_depth:
                    _refuse(name, event, f"the document nests more than {limits.max_depth} levels deep")
                added = 1
            elif isinstance(event, _CLOSE):
                count, anchor = open_.pop()
                if anchor is not None:
                    sizes[anchor] = count
                if open_:
                    open_[-1][0] += count
                continue
            elif isinstance(event, yaml.ScalarEvent):
                added = 1
                if event.anchor is not None:
                    sizes[event.anchor] = 1
            elif isinstance(event, yaml.AliasEvent):
                if event.anchor not in sizes and any(a == event.anchor for _, a in open_):
                    _refuse(name, event, f"the alias *{quote(event.anchor, 40)} refers to a node that holds it")
                added = sizes.get(event.anchor, 1)  # an unknown anchor is the composer's error, below
            else:
                continue
            total += added
            if open_:
                open_[-1][0] += added
            if total > limits.max_nodes:
                _refuse(name, event, f"the document holds more than {limits.max_nodes:,} values once its aliases "
                                     "are expanded: refused")
    finally:
        loader.dispose()


class ShapeError(yaml.MarkedYAMLError):
    """A document refused for its shape (too deep, too many values), at the event where that was seen."""


def _refuse(name: str, event, problem: str) -> None:
    raise ShapeError(problem=problem, problem_mark=event.start_mark)


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


def quote(value: Any, limit: int = QUOTE_MAX) -> str:
    """A rejected value for a message: at most ``limit`` characters, and never built in full (a value may be
    a list of a million items, or nested lists)."""
    text = value if isinstance(value, str) else _SHORT.repr(value)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _short_repr() -> reprlib.Repr:
    r = reprlib.Repr()  # (keyword arguments only from Python 3.12)
    r.maxlevel, r.maxlist, r.maxtuple, r.maxdict, r.maxset = 3, 8, 8, 8, 8
    r.maxstring, r.maxother, r.maxlong = QUOTE_MAX, QUOTE_MAX, 40
    return r


_SHORT = _short_repr()


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

"""Reading YAML written by users (feeds.yaml, plan files, extra taxonomy) within fixed bounds.

PyYAML's safe loader builds no Python objects from tags, but it still follows aliases: a 1 KB
file of nested aliases ("billion laughs") stands for billions of values, and every reader that
walks the document walks all of them. Here a document is composed by a loader that counts the
values as a reader will see them (each use of an alias counts every value it stands for) and
refuses the file once the count, the nesting depth or the file size passes its limit, before
anything walks it. Values are built only by a safe constructor that refuses unknown tags such as
``!!python/object/apply`` with a clear message.

The module is shared by ``monitor`` and ``classifiers``; it lives here because ``classifiers``
imports nothing from ``monitor``. Messages are in Indonesian (they reach users as they are).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml
from yaml.constructor import ConstructorError, SafeConstructor

_CORE_TAG_PREFIX = "tag:yaml.org,2002:"


@dataclass(frozen=True)
class YamlLimits:
    """Bounds for one YAML file: far above any real feeds, plan or taxonomy file (the example plan
    set of the province and 14 kabupaten/kota is 83 KB and 4,321 values)."""

    max_bytes: int = 2 * 1024 * 1024
    # values as a reader sees them; PyYAML needs about 600 bytes per value, so about 120 MB at most
    max_values: int = 200_000
    max_depth: int = 64


DEFAULT_LIMITS = YamlLimits()


class YamlLimitError(yaml.YAMLError):
    """A YAML file refused before it is read further; `line` is 1-based when known."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line

    def __str__(self) -> str:
        return self.message


def tag_name(tag: str) -> str:
    """A tag as users write it: ``!!python/object`` rather than ``tag:yaml.org,2002:python/object``."""
    return "!!" + tag[len(_CORE_TAG_PREFIX):] if tag.startswith(_CORE_TAG_PREFIX) else tag


class _Constructor(SafeConstructor):
    """SafeConstructor whose refusal of an unknown tag says so in Indonesian."""

    def construct_undefined(self, node):
        raise ConstructorError(None, None, f"tag YAML '{tag_name(node.tag)}' tidak diizinkan (hanya teks, angka, "
                                           f"true/false, tanggal, daftar dan pemetaan)", node.start_mark)


# The stubs accept only a whole Loader's method here; PyYAML registers a constructor class's own methods the same way.
_Constructor.add_constructor(None, _Constructor.construct_undefined)  # type: ignore[type-var]


def _line(mark) -> int | None:
    """The 1-based line of a parser mark, when the parser gave one."""
    return mark.line + 1 if mark is not None else None


class _BoundedLoader(yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser, yaml.composer.Composer,
                     _Constructor, yaml.resolver.Resolver):
    """The safe loader, composing within `limits` (see the module docstring)."""

    def __init__(self, stream, limits: YamlLimits):
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        yaml.composer.Composer.__init__(self)
        _Constructor.__init__(self)
        yaml.resolver.Resolver.__init__(self)
        self.limits = limits
        self._values = 0
        self._depth = 0
        self._anchor_values: dict[str, int] = {}  # values an anchored node stands for, once it is complete

    def _count(self, n: int, mark, alias: str | None = None) -> None:
        self._values += n
        if self._values > self.limits.max_values:
            limit = _number(self.limits.max_values)
            if alias is not None:
                message = (f"alias *{alias} membuat isi berkas terlalu besar: lebih dari {limit} nilai "
                           "setelah alias diuraikan")
            else:
                message = f"berkas berisi lebih dari {limit} nilai"
            raise YamlLimitError(message, _line(mark))

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            node = super().compose_node(parent, index)  # refuses an undefined alias
            if event.anchor not in self._anchor_values:
                raise YamlLimitError(f"alias *{event.anchor} menunjuk ke nilai yang memuat alias itu sendiri",
                                     _line(event.start_mark))
            self._count(self._anchor_values[event.anchor], event.start_mark, event.anchor)
            return node
        if self._depth >= self.limits.max_depth:
            raise YamlLimitError(f"susunan bertingkat terlalu dalam (lebih dari {self.limits.max_depth} tingkat)",
                                 _line(event.start_mark))
        before = self._values
        self._count(1, event.start_mark)
        self._depth += 1
        node = super().compose_node(parent, index)
        self._depth -= 1
        if event.anchor is not None:
            self._anchor_values[event.anchor] = self._values - before
        return node


def read_bytes(path: Path, limits: YamlLimits = DEFAULT_LIMITS) -> bytes:
    """The bytes of a YAML file, refusing a file larger than the limit without reading all of it."""
    with Path(path).open("rb") as handle:
        data = handle.read(limits.max_bytes + 1)
    if len(data) > limits.max_bytes:
        raise YamlLimitError(f"berkas terlalu besar (lebih dari {_size(limits.max_bytes)}); "
                             f"berkas YAML Waspada jauh lebih kecil dari itu")
    return data


def compose(text: str, limits: YamlLimits = DEFAULT_LIMITS) -> yaml.Node | None:
    """The node tree of a single-document YAML text (each node keeps its line), within `limits`.

    Raises YamlLimitError past a limit and yaml.YAMLError for a syntax error."""
    loader = _BoundedLoader(text, limits)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()


def construct(node: yaml.Node):
    """The Python value of a node composed by `compose`; an unknown tag raises a ConstructorError."""
    return _Constructor().construct_object(node, deep=True)


def safe_load(text: str, limits: YamlLimits = DEFAULT_LIMITS):
    """Like yaml.safe_load, within `limits`."""
    node = compose(text, limits)
    return None if node is None else construct(node)


def _number(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def _size(n: int) -> str:
    return f"{n / (1024 * 1024):g} MiB" if n >= 1024 * 1024 else f"{n} bita"

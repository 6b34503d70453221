"""Read checklist templates from YAML and validate them, with errors a coordinator can act on.

Pure: text or files in, models out; no web, database or storage imports. Every refusal is a
``ChecklistError`` whose message names the file, the section or item, and the reason.
"""

import re
from collections.abc import Hashable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import ValidationError

from service import yaml_load
from service.checklists.format import ChecklistChannel, ChecklistError, ChecklistTemplate

__all__ = ["ChecklistError", "describe_errors", "load_templates", "parse_template", "read_yaml"]

_BOOL_TAG = "tag:yaml.org,2002:bool"
# The largest shipped template (in_person.yaml) is 41 KB and ~2,500 nodes; these leave room
# for much larger ones while a hostile file stays milliseconds of work.
MAX_YAML_BYTES = 512 * 1024
MAX_YAML_NODES = 50_000
# A 422 names this many problems at most: a large invalid document must not echo itself back.
MAX_ERRORS_SHOWN = 20


if TYPE_CHECKING:  # a mixin of the loaders below, which are SafeLoaders
    _Loader = yaml.SafeLoader
else:
    _Loader = object


class _Strict(_Loader):
    """YAML 1.2 booleans and no duplicate keys.

    YAML 1.1 reads ``yes``/``no``/``on``/``off`` as booleans, which would turn the answer
    codes ``yes`` and ``no`` into ``True``/``False``; a repeated key would silently win.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, Hashable) and key in seen:
                raise yaml.constructor.ConstructorError(
                    "while reading a mapping",
                    node.start_mark,
                    f"duplicate key {key!r}",
                    key_node.start_mark,
                )
            if isinstance(key, Hashable):
                seen.add(key)
        return super().construct_mapping(node, deep=deep)


class _StrictYamlLoader(_Strict, yaml_load.SafeLoader):
    """Parsed by libyaml where PyYAML has it (``service.yaml_load``)."""


class _StrictPyYamlLoader(_Strict, yaml.SafeLoader):
    """Parsed by PyYAML's own parser, whose errors show the line's text and name the alias
    or character at fault (libyaml's do not): a refused document is read again by it."""


for _kind in (_StrictYamlLoader, _StrictPyYamlLoader):
    _kind.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != _BOOL_TAG]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    _kind.add_implicit_resolver(
        _BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
    )


def read_yaml(
    text: str, name: str, *, max_bytes: int = MAX_YAML_BYTES, max_nodes: int = MAX_YAML_NODES
) -> Any:
    """Parse YAML with 1.2 booleans, no duplicate keys and a bounded size once expanded.

    Templates share option lists through anchors (``&match`` ... ``*match``), so aliases are
    allowed, but each counts as a copy of what it names: 3 KB of nested aliases ("billion
    laughs") would expand to billions of values for whatever walks the result, and is refused
    before anything is built. ``name`` labels the error. CPU-bound: web callers run it off
    the event loop.
    """
    if len(text) > max_bytes:
        raise ChecklistError(f"{name}: larger than {max_bytes} characters")
    try:
        return _read(_StrictYamlLoader, text, name, max_nodes)
    except ChecklistError as exc:
        if not isinstance(exc.__cause__, yaml.YAMLError):
            raise
    return _read(_StrictPyYamlLoader, text, name, max_nodes)  # for its error's message


def _read(kind: type[_Strict], text: str, name: str, max_nodes: int) -> Any:
    loader: _Strict | None = None
    try:
        loader = kind(text)
        node = loader.get_single_node()
        if node is None:
            return None
        if _expanded_size(node, {}, set(), max_nodes) > max_nodes:
            raise ChecklistError(f"{name}: more than {max_nodes} values once aliases are expanded")
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        raise ChecklistError(f"{name}: cannot read YAML: {exc}") from exc
    except RecursionError as exc:
        raise ChecklistError(f"{name}: nested too deeply") from exc
    finally:
        if loader is not None:
            loader.dispose()


def _expanded_size(node: yaml.Node, sizes: dict[int, int], open_: set[int], limit: int) -> int:
    """Values in ``node`` with every alias copied out; stops counting once over ``limit``.

    Linear in the distinct nodes (each is sized once); a node that contains itself (a
    recursive alias) is infinitely large.
    """
    key = id(node)
    if key in sizes:
        return sizes[key]
    if key in open_:
        return limit + 1
    open_.add(key)
    children: list[yaml.Node] = []
    if isinstance(node, yaml.SequenceNode):
        children = list(node.value)
    elif isinstance(node, yaml.MappingNode):
        children = [part for pair in node.value for part in pair]
    total = 1
    for child in children:
        total += _expanded_size(child, sizes, open_, limit)
        if total > limit:
            break
    open_.discard(key)
    sizes[key] = total
    return total


def _code_of(node: Any, index: int) -> str:
    code = node.get("code") if isinstance(node, dict) else None
    return str(code) if isinstance(code, str | int) else f"#{index + 1}"


def _child(node: Any, key: str, index: int) -> Any:
    children = node.get(key) if isinstance(node, dict) else None
    return children[index] if isinstance(children, list) and index < len(children) else None


def _locate(loc: tuple[int | str, ...], raw: Any) -> tuple[list[str], list[str]]:
    """Turn a Pydantic location into ("section x", "item y") labels and the field path."""
    labels: list[str] = []
    rest = list(loc)
    if len(rest) > 1 and rest[0] == "sections" and isinstance(rest[1], int):
        section = _child(raw, "sections", rest[1])
        labels.append(f"section {_code_of(section, rest[1])}")
        rest = rest[2:]
        if len(rest) > 1 and rest[0] == "items" and isinstance(rest[1], int):
            item = _child(section, "items", rest[1])
            labels.append(f"item {_code_of(item, rest[1])}")
            rest = rest[2:]
            # A tagged union adds the kind to the location; the item label already says enough.
            if rest and isinstance(item, dict) and rest[0] == item.get("kind"):
                rest = rest[1:]
    return labels, [str(part) for part in rest]


def describe_errors(error: ValidationError, raw: Any) -> str:
    """Problems as "section s, item i: field: reason", joined by "; ", codes taken from ``raw``."""
    lines = []
    problems = error.errors()
    for problem in problems[:MAX_ERRORS_SHOWN]:
        labels, field = _locate(problem["loc"], raw)
        reason = problem["msg"]
        if problem["type"] == "value_error" and "error" in problem.get("ctx", {}):
            reason = str(problem["ctx"]["error"])
        if field:
            reason = f"{'.'.join(field)}: {reason}"
        line = f"{', '.join(labels)}: {reason}" if labels else reason
        lines.append(line if len(line) <= 300 else line[:299] + "…")
    if len(problems) > MAX_ERRORS_SHOWN:
        lines.append(f"and {len(problems) - MAX_ERRORS_SHOWN} more problems")
    return "; ".join(lines)


def parse_template(source: str | Path, *, name: str | None = None) -> ChecklistTemplate:
    """Parse and validate one template.

    Args:
        source: a ``Path`` to a YAML file, or the YAML text itself.
        name: what error messages call the source; defaults to the path or ``<string>``.

    Returns:
        The validated template.

    Raises:
        ChecklistError: the file cannot be read or breaks a rule of the format.
    """
    if isinstance(source, Path):
        name = name or str(source)
        try:
            text = source.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ChecklistError(f"{name}: cannot read: {exc}") from exc
    else:
        name = name or "<string>"
        text = source
    raw = read_yaml(text, name)
    if not isinstance(raw, dict):
        raise ChecklistError(f"{name}: expected a mapping at the top level")
    try:
        return ChecklistTemplate.model_validate(raw)
    except ValidationError as exc:
        raise ChecklistError(f"{name}: {describe_errors(exc, raw)}") from exc


def load_templates(directory: Path) -> dict[ChecklistChannel, ChecklistTemplate]:
    """Load ``<channel>.yaml`` for every channel from ``directory``.

    Raises:
        ChecklistError: a file is missing or broken, or its ``channel`` is not its file name.
    """
    templates: dict[ChecklistChannel, ChecklistTemplate] = {}
    for channel in ChecklistChannel:
        path = directory / f"{channel.value}.yaml"
        if not path.is_file():
            raise ChecklistError(f"{path}: missing; every channel needs a template")
        template = parse_template(path)
        if template.channel != channel:
            raise ChecklistError(
                f"{path}: channel: {template.channel.value} does not match the file name"
            )
        templates[channel] = template
    return templates

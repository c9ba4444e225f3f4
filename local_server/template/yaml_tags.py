"""Reads a template's YAML with CloudFormation's tags (``!Ref``, ``!Sub``, ...).

Short forms become the long forms the resolver evaluates, so the rest of the loader sees one
shape. Duplicate keys are errors and dates stay text, as in CloudFormation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .specs import TemplateError

__all__ = ["read_document"]

#: CloudFormation's short forms; each becomes the long form (``!Sub x`` -> ``{"Fn::Sub": x}``).
_SHORT_FORMS = frozenset(
    [
        "Ref",
        "Condition",
        "Sub",
        "GetAtt",
        "If",
        "Join",
        "Select",
        "Split",
        "FindInMap",
        "Equals",
        "Not",
        "And",
        "Or",
        "Base64",
        "ImportValue",
        "GetAZs",
        "Cidr",
        "Transform",
        "Length",
        "ToJsonString",
    ]
)


class _CloudFormationLoader(yaml.SafeLoader):
    """SafeLoader plus CloudFormation's tags, strict about duplicate keys."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        # PyYAML keeps the last of two equal keys; CloudFormation rejects the template.
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag.endswith(":merge"):
                continue
            if key_node.value in seen:
                line = key_node.start_mark.line + 1
                raise TemplateError(f"line {line}", f"duplicate key {key_node.value!r}")
            seen.add(key_node.value)
        return super().construct_mapping(node, deep=deep)


def _construct_short_form(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if suffix not in _SHORT_FORMS:
        line = node.start_mark.line + 1
        raise TemplateError(f"line {line}", f"unknown tag !{suffix}")
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        assert isinstance(node, yaml.MappingNode)
        value = loader.construct_mapping(node, deep=True)
    if suffix in ("Ref", "Condition"):
        return {suffix: value}
    if suffix == "GetAtt" and isinstance(value, str):
        # ``!GetAtt Fn.Arn``: the resource name ends at the first dot.
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_CloudFormationLoader.add_multi_constructor("!", _construct_short_form)
# Keep ``2010-09-09`` and friends as text: CloudFormation has no timestamp type.
_CloudFormationLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def read_document(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TemplateError(str(path), f"cannot read the template: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise TemplateError(str(path), f"not UTF-8 text (byte {exc.start})") from exc
    try:
        # A SafeLoader subclass: no arbitrary objects are built.
        document = yaml.load(text, Loader=_CloudFormationLoader)
    except TemplateError as exc:
        raise TemplateError(f"{path}, {exc.location}", exc.message) from exc
    except yaml.MarkedYAMLError as exc:
        raise TemplateError(*_marked_problem(path, exc)) from exc
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow
        before = text[: exc.position]
        line, column = before.count("\n") + 1, exc.position - before.rfind("\n")
        message = f"not valid YAML: {exc.reason} (#x{exc.character:04x})"
        raise TemplateError(f"{path}, line {line}, column {column}", message) from exc
    except yaml.YAMLError as exc:
        raise TemplateError(str(path), f"not valid YAML: {' '.join(str(exc).split())}") from exc
    if not isinstance(document, dict):
        raise TemplateError(str(path), "a template is a mapping with a Resources section")
    return document


def _marked_problem(path: Path, error: yaml.MarkedYAMLError) -> tuple[str, str]:
    """``(location, message)`` of a YAML error, in one line: PyYAML's own text spans five,
    with the offending line drawn under a caret."""
    location = str(path)
    if error.problem_mark is not None:
        mark = error.problem_mark
        location = f"{path}, line {mark.line + 1}, column {mark.column + 1}"
    message = f"not valid YAML: {error.problem or error.context or 'unreadable'}"
    if error.context and error.problem and error.context_mark is not None:
        mark = error.context_mark
        message += f" ({error.context} at line {mark.line + 1}, column {mark.column + 1})"
    return location, message

"""A function's environment variables: the template's ``Environment.Variables`` with ``--env-vars``.

A declared variable takes the template's value, then the shell's (the developer's
``export TABLE_NAME=...``), then ``--env-vars``'s: SAM CLI's ``EnvironmentVariables.resolve``
priority. ``--env-vars`` is SAM CLI's JSON file: ``{"Parameters": {...}}`` for every function and
``{"FnLogicalId": {...}}`` for one. Its values are passed as SAM CLI passes them
(``samcli/local/lambdafn/env_vars.py``), and as there, only declared variables are set: a
declared variable left with no value (``DATABASE_URL: ""``, or none at all, which SAM passes as
``""``) is named once in the warnings, so that an empty setting is never a silent surprise.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .intrinsics import IntrinsicResolver
from .specs import TemplateError
from .values import NO_VALUE, is_intrinsic, scalar_text

__all__ = [
    "check_env_vars",
    "env_var_overrides",
    "env_vars_for_unknown_functions",
    "function_variables",
]


def check_env_vars(env_vars: Mapping[str, Any] | None) -> None:
    """Fail before anything is read: every entry is a mapping of variable names to values."""
    if env_vars is not None and not (
        isinstance(env_vars, Mapping) and all(isinstance(v, dict) for v in env_vars.values())
    ):
        raise TemplateError("--env-vars", 'expected {"FunctionId": {"NAME": "value"}, ...}')


def env_vars_for_unknown_functions(
    env_vars: Mapping[str, Any], functions: Iterable[str], owner: str = "the template"
) -> list[str]:
    """Warnings for ``--env-vars`` entries naming no function: a typo there changes nothing."""
    known = set(functions)
    return [
        f"--env-vars: {key} is not a function of {owner}"
        for key in env_vars
        if key != "Parameters" and key not in known
    ]


def env_var_overrides(logical_id: str, env_vars: Mapping[str, Any]) -> dict[str, str]:
    """The values ``--env-vars`` gives function ``logical_id``: its ``Parameters`` block, then
    its own block, which wins (SAM CLI's ``EnvironmentVariables.resolve``), as SAM passes them."""
    overrides: dict[str, str] = {}
    for key in ("Parameters", logical_id):
        section = env_vars.get(key)
        if isinstance(section, dict):
            overrides.update((str(name), _sam_env_text(value)) for name, value in section.items())
    return overrides


def function_variables(
    logical_id: str,
    value: Any,
    location: str,
    *,
    resolver: IntrinsicResolver,
    env_vars: Mapping[str, Any],
    shell_env: Mapping[str, str],
    warnings: list[str],
) -> dict[str, str]:
    """``value`` is the function's ``Environment`` property; ``location`` its ``Properties``."""
    location = f"{location}.Environment"
    value = resolver.chosen(value, location)
    if value is None:
        declared: Any = {}
    elif isinstance(value, dict) and set(value) <= {"Variables"}:
        declared = value.get("Variables") or {}
    else:
        raise TemplateError(location, "expected {Variables: {NAME: value}}")
    if is_intrinsic(declared) or not isinstance(declared, dict):
        raise TemplateError(f"{location}.Variables", "expected a mapping of variables")
    # Only variables the template declares are overridden (SAM CLI's
    # ``EnvironmentVariables.resolve``).
    overrides = env_var_overrides(logical_id, env_vars)
    variables: dict[str, str] = {}
    empty: list[str] = []
    for name, raw in declared.items():
        name = str(name)
        if name in overrides:
            variables[name] = overrides[name]
            continue
        if name in shell_env:
            variables[name] = shell_env[name]
            continue
        where = f"{location}.Variables.{name}"
        try:
            resolved = resolver.resolve(raw, where)
        except TemplateError as exc:
            raise TemplateError(
                exc.location, f"{exc.message} (or give {name} a value with --env-vars)"
            ) from exc
        if resolved is NO_VALUE:
            continue
        # SAM CLI passes a variable declared with no value as "" (``_stringify_value``).
        variables[name] = "" if resolved is None else scalar_text(resolved, where)
        if not variables[name]:
            empty.append(name)
    if empty:
        them = "it" if len(empty) == 1 else "them"
        warnings.append(
            f"{location}.Variables: {', '.join(empty)} "
            f"{'has' if len(empty) == 1 else 'have'} no value; give {them} one in the shell "
            f"or with --env-vars"
        )
    for name in overrides:
        if name not in declared and logical_id in env_vars:
            warnings.append(
                f"--env-vars: {logical_id}.{name} is not declared in the template's "
                "Environment.Variables; SAM ignores it, and so does lambgate"
            )
    return variables


def _sam_env_text(value: Any) -> str:
    """An ``--env-vars`` value as SAM CLI passes it (``samcli/local/lambdafn/env_vars.py``)."""
    if isinstance(value, dict | list | tuple) or value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)

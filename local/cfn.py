"""Read template.yaml the way CloudFormation does, as far as the local stack needs it.

- :func:`load_template` is the one reader of the template: provisioning, the API emulation and the
  Lambda emulator all go through it. It parses with cfn-lint's decoder (the one ``make validate``
  trusts), which turns the short-form tags (``!Ref``, ``!GetAtt``, ``!Sub``, ``!If``, ...) into
  their long forms (``{"Ref": ...}``, ``{"Fn::GetAtt": [...]}``), and parses each file once.
- :class:`Resolver` evaluates intrinsic functions once parameters and physical resources are known.
- :func:`references` lists the logical ids a value depends on (to create resources in order).
"""

from __future__ import annotations

import base64
import copy
import functools
import json
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

__all__ = [
    "DEFAULT_TEMPLATE",
    "PSEUDO_PARAMETERS",
    "CfnError",
    "Resolver",
    "UnresolvableError",
    "load_template",
    "parameter_values",
    "references",
]

DEFAULT_TEMPLATE = Path(__file__).resolve().parent.parent / "template.yaml"
_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")

PSEUDO_PARAMETERS = frozenset(
    {
        "AWS::AccountId",
        "AWS::NotificationARNs",
        "AWS::NoValue",
        "AWS::Partition",
        "AWS::Region",
        "AWS::StackId",
        "AWS::StackName",
        "AWS::URLSuffix",
    }
)


class CfnError(Exception):
    """The template cannot be read or evaluated."""


class UnresolvableError(CfnError):
    """A value refers to something this resolver does not know (yet)."""


# ------------------------------------------------------------------ loading


def load_template(path: str | Path = DEFAULT_TEMPLATE) -> dict[str, Any]:
    """The template (CloudFormation or SAM, YAML or JSON) in long form: a fresh copy at each call,
    from one parse per file version."""
    resolved = Path(path).resolve()
    return copy.deepcopy(_parsed(resolved, resolved.stat().st_mtime_ns))


@functools.lru_cache(maxsize=8)
def _parsed(path: Path, _version: int) -> dict[str, Any]:
    from cfnlint.decode import decode_str  # type: ignore[import-untyped] # no py.typed

    template, problems = decode_str(path.read_text(encoding="utf-8"))
    if problems or not isinstance(template, dict):
        details = "; ".join(str(problem.message) for problem in problems) or "a template is a mapping"
        raise CfnError(f"{path}: {details}")
    plain: dict[str, Any] = _plain(template)
    return plain


def _plain(value: Any) -> Any:
    """cfn-lint's nodes (dict, list and str subclasses that carry their line marks) as plain values."""
    if isinstance(value, dict):
        return {_plain(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, str):
        return str(value)
    return value


def parameter_values(
    template: Mapping[str, Any], overrides: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Every template parameter's value: the override if given, else its default.

    Raises :class:`CfnError` for an unknown override or a parameter with neither.
    """
    declared: Mapping[str, Any] = template.get("Parameters") or {}
    overrides = dict(overrides or {})
    unknown = sorted(set(overrides) - set(declared))
    if unknown:
        raise CfnError(f"unknown parameter(s): {', '.join(unknown)}")
    values: dict[str, str] = {}
    for name, spec in declared.items():
        if name in overrides:
            value: Any = overrides[name]
        elif "Default" in spec:
            value = spec["Default"]
        else:
            raise CfnError(f"parameter {name} has no default and no override")
        pattern = spec.get("AllowedPattern")
        if pattern is not None and re.fullmatch(pattern, str(value)) is None:
            raise CfnError(f"parameter {name}={value!r} does not match {pattern}")
        allowed = spec.get("AllowedValues")
        if allowed is not None and str(value) not in [str(v) for v in allowed]:
            raise CfnError(f"parameter {name}={value!r} is not one of {allowed}")
        values[name] = _scalar_to_str(value)
    return values


# ------------------------------------------------------------------ dependencies


def references(value: Any) -> set[str]:
    """Names a value refers to through Ref, Fn::GetAtt and Fn::Sub (parameters and resources alike)."""
    found: set[str] = set()
    _collect_references(value, found)
    return found


def _collect_references(value: Any, found: set[str]) -> None:
    if isinstance(value, list):
        for item in value:
            _collect_references(item, found)
        return
    if not isinstance(value, dict):
        return
    if len(value) == 1:
        (key, argument), *_ = value.items()
        if key == "Ref" and isinstance(argument, str):
            found.add(argument)
            return
        if key == "Fn::GetAtt":
            target = argument[0] if isinstance(argument, list) else str(argument).partition(".")[0]
            found.add(str(target))
            return
        if key == "Fn::Sub":
            text, variables = (argument, {}) if isinstance(argument, str) else (argument[0], argument[1])
            for name in _SUB_VARIABLE.findall(text):
                if not name.startswith("!") and name.partition(".")[0] not in variables:
                    found.add(name.partition(".")[0])
            _collect_references(variables, found)
            return
    for item in value.values():
        _collect_references(item, found)


# ------------------------------------------------------------------ evaluation

_NO_VALUE = object()


def _scalar_to_str(value: Any) -> str:
    """How CloudFormation renders a scalar where a string is expected."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value)
    raise CfnError(f"expected a scalar, got {value!r}")


class Resolver:
    """Evaluates intrinsic functions against known parameters, pseudo parameters and resources.

    ``refs`` maps a logical id to what ``Ref`` returns for it; ``attributes`` maps
    ``(logical_id, attribute)`` to what ``Fn::GetAtt`` returns (either may be a callable lookup that
    raises ``KeyError`` for unknown names).
    """

    def __init__(
        self,
        template: Mapping[str, Any],
        *,
        parameters: Mapping[str, str],
        pseudo: Mapping[str, Any] | None = None,
        refs: Mapping[str, Any] | Callable[[str], Any] | None = None,
        attributes: Mapping[tuple[str, str], Any] | Callable[[str, str], Any] | None = None,
    ) -> None:
        self.template = template
        self.parameters = dict(parameters)
        self.pseudo = dict(pseudo or {})
        self._refs = refs if refs is not None else {}
        self._attributes = attributes if attributes is not None else {}
        self._conditions: dict[str, bool] = {}

    # -- public API

    def resolve(self, value: Any) -> Any:
        """The value with every intrinsic function evaluated (``AWS::NoValue`` entries removed)."""
        result = self._resolve(value)
        return None if result is _NO_VALUE else result

    def resolve_str(self, value: Any) -> str:
        """Resolve a value that CloudFormation would hand over as a string (numbers become text)."""
        return _scalar_to_str(self.resolve(value))

    def condition(self, name: str) -> bool:
        """The value of a named condition from the template's Conditions section."""
        if name not in self._conditions:
            conditions: Mapping[str, Any] = self.template.get("Conditions") or {}
            if name not in conditions:
                raise UnresolvableError(f"unknown condition {name}")
            self._conditions[name] = bool(self._resolve(conditions[name]))
        return self._conditions[name]

    def ref(self, name: str) -> Any:
        if name in self.parameters:
            return self.parameters[name]
        if name in PSEUDO_PARAMETERS:
            if name == "AWS::NoValue":
                return _NO_VALUE
            if name not in self.pseudo:
                raise UnresolvableError(f"pseudo parameter {name} has no local value")
            return self.pseudo[name]
        return self._lookup_ref(name)

    def get_att(self, logical_id: str, attribute: str) -> Any:
        try:
            if callable(self._attributes):
                return self._attributes(logical_id, attribute)
            return self._attributes[(logical_id, attribute)]
        except KeyError:
            raise UnresolvableError(f"cannot resolve !GetAtt {logical_id}.{attribute}") from None

    # -- internals

    def _lookup_ref(self, name: str) -> Any:
        try:
            if callable(self._refs):
                return self._refs(name)
            return self._refs[name]
        except KeyError:
            raise UnresolvableError(f"cannot resolve !Ref {name}") from None

    def _resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            items = [self._resolve(item) for item in value]
            return [item for item in items if item is not _NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (key, argument), *_ = value.items()
            handler = self._FUNCTIONS.get(key)
            # {"Condition": ...} is an intrinsic only with a condition's name (else e.g. an IAM block).
            if handler is not None and (key != "Condition" or isinstance(argument, str)):
                return handler(self, argument)
        resolved = {key: self._resolve(item) for key, item in value.items()}
        return {key: item for key, item in resolved.items() if item is not _NO_VALUE}

    def _fn_ref(self, argument: Any) -> Any:
        return self.ref(str(self._resolve(argument)))

    def _fn_get_att(self, argument: Any) -> Any:
        if isinstance(argument, str):
            logical_id, _, attribute = argument.partition(".")
        else:
            logical_id, attribute = (str(part) for part in self._resolve(argument))
        return self.get_att(logical_id, attribute)

    def _fn_sub(self, argument: Any) -> str:
        if isinstance(argument, str):
            text, variables = argument, {}
        else:
            text, raw_variables = argument
            variables = {name: self._resolve(item) for name, item in raw_variables.items()}

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return _scalar_to_str(variables[name])
            if "." in name and name.partition(".")[0] not in self.parameters:
                logical_id, _, attribute = name.partition(".")
                return _scalar_to_str(self.get_att(logical_id, attribute))
            return _scalar_to_str(self.ref(name))

        return _SUB_VARIABLE.sub(substitute, str(text))

    def _fn_join(self, argument: Any) -> str:
        delimiter, items = argument
        values = self._resolve(items)
        if not isinstance(values, list):
            raise CfnError("Fn::Join takes a list")
        return str(delimiter).join(_scalar_to_str(item) for item in values)

    def _fn_select(self, argument: Any) -> Any:
        index, items = argument
        values = self._resolve(items)
        return values[int(self._resolve(index))]

    def _fn_split(self, argument: Any) -> list[str]:
        delimiter, text = argument
        return str(self._resolve(text)).split(str(delimiter))

    def _fn_find_in_map(self, argument: Any) -> Any:
        map_name, top_key, second_key, *rest = (self._resolve(part) for part in argument)
        mappings: Mapping[str, Any] = self.template.get("Mappings") or {}
        try:
            return mappings[map_name][top_key][second_key]
        except KeyError:
            if rest and isinstance(rest[0], dict) and "DefaultValue" in rest[0]:
                return rest[0]["DefaultValue"]
            raise UnresolvableError(f"Fn::FindInMap {map_name}/{top_key}/{second_key} not found") from None

    def _fn_if(self, argument: Any) -> Any:
        name, when_true, when_false = argument
        return self._resolve(when_true if self.condition(name) else when_false)

    def _fn_equals(self, argument: Any) -> bool:
        left, right = (self._resolve(part) for part in argument)
        return bool(_scalar_to_str(left) == _scalar_to_str(right))

    def _fn_not(self, argument: Any) -> bool:
        (operand,) = argument
        return not self._resolve(operand)

    def _fn_and(self, argument: Any) -> bool:
        return all(self._resolve(operand) for operand in argument)

    def _fn_or(self, argument: Any) -> bool:
        return any(self._resolve(operand) for operand in argument)

    def _fn_condition(self, argument: Any) -> bool:
        return self.condition(str(argument))

    def _fn_base64(self, argument: Any) -> str:
        return base64.b64encode(str(self._resolve(argument)).encode()).decode()

    def _fn_to_json_string(self, argument: Any) -> str:
        return json.dumps(self._resolve(argument), separators=(",", ":"))

    _FUNCTIONS: dict[str, Callable[[Resolver, Any], Any]] = {  # noqa: RUF012 - read-only dispatch table
        "Ref": _fn_ref,
        "Fn::GetAtt": _fn_get_att,
        "Fn::Sub": _fn_sub,
        "Fn::Join": _fn_join,
        "Fn::Select": _fn_select,
        "Fn::Split": _fn_split,
        "Fn::FindInMap": _fn_find_in_map,
        "Fn::If": _fn_if,
        "Fn::Equals": _fn_equals,
        "Fn::Not": _fn_not,
        "Fn::And": _fn_and,
        "Fn::Or": _fn_or,
        "Condition": _fn_condition,
        "Fn::Base64": _fn_base64,
        "Fn::ToJsonString": _fn_to_json_string,
    }

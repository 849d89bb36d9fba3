"""Declare each parameter once, as a pydantic field, and derive everything else from it.

A field's type, default and constraints validate it; its `description` documents it; markers in
its `Annotated` metadata say where else it goes (`NETWORK`: a `NetworkConfig` field of the same
name; `NotTunable`: a search space may not hold it, and why). The `Forecaster` signature and
docstring, the network config and what a study may tune are read from here, so a new parameter is
one field declaration, not five edits that can drift apart.
"""

from __future__ import annotations

import inspect
import textwrap
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict
from pydantic.fields import FieldInfo

__all__ = [
    "NETWORK",
    "Accepts",
    "NotTunable",
    "Strict",
    "ToNetwork",
    "declared_parameters",
    "fields_marked",
    "not_tunable_reasons",
    "parameters_doc",
]

_F = TypeVar("_F", bound=Callable[..., Any])


class Strict(BaseModel):
    """Forbid unknown keys so a typo in YAML is an error, not a silently ignored setting."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


@dataclass(frozen=True)
class ToNetwork:
    """Marks a field the network is built from; `NetworkConfig` has a field of the same name."""


NETWORK = ToNetwork()


@dataclass(frozen=True)
class NotTunable:
    """Marks a field a search space may not hold; `reason` ends the error message."""

    reason: str


@dataclass(frozen=True)
class Accepts:
    """The constructor also takes `type`, which the field's before-validator converts (a single
    column name for a list of names, say): the signature should say so."""

    type: Any


def fields_marked(model: type[BaseModel], marker: type[Any]) -> dict[str, Any]:
    """The fields carrying a `marker` instance, in declaration order, with that instance."""
    found = {}
    for name, field in model.model_fields.items():
        for item in field.metadata:
            if isinstance(item, marker):
                found[name] = item
    return found


def not_tunable_reasons(model: type[BaseModel]) -> dict[str, str]:
    """Field name -> why a study may not search it."""
    return {name: mark.reason for name, mark in fields_marked(model, NotTunable).items()}


def declared_parameters(
    model: type[BaseModel], *, positional: tuple[str, ...] = ()
) -> Callable[[_F], _F]:
    """Give an `__init__(self, ..., **params)` the signature the model declares.

    `inspect.signature` (and so `help`, and scikit-learn's `get_params`) reads `__signature__`:
    the `positional` fields come first, the others are keyword-only. A field with a default
    factory shows `None`, which its validator turns into a fresh default, so no signature holds
    a mutable default shared by every instance.
    """
    signature = _signature(model, positional)

    def attach(init: _F) -> _F:
        init.__signature__ = signature  # type: ignore[attr-defined]
        return init

    return attach


def _signature(model: type[BaseModel], positional: tuple[str, ...]) -> inspect.Signature:
    names = [*positional, *(n for n in model.model_fields if n not in positional)]
    parameters = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    for name in names:
        field = model.model_fields[name]
        kind = (inspect.Parameter.POSITIONAL_OR_KEYWORD if name in positional
                else inspect.Parameter.KEYWORD_ONLY)
        parameters.append(inspect.Parameter(
            name, kind, default=_shown_default(field), annotation=_accepted_type(field)
        ))
    return inspect.Signature(parameters, return_annotation="None")


def _shown_default(field: FieldInfo) -> Any:
    if field.is_required():
        return inspect.Parameter.empty
    return None if field.default_factory is not None else field.default


def _accepted_type(field: FieldInfo) -> str:
    shown = _type_name(field.annotation)
    extra = [_type_name(m.type) for m in field.metadata if isinstance(m, Accepts)]
    if field.default_factory is not None and "None" not in extra:
        extra.append("None")
    return " | ".join([shown, *extra])


def _type_name(tp: Any) -> str:
    """`list[str] | None`, `Literal['lstm', 'gru']`: the spelling the code uses, not typing's."""
    if tp is None or tp is type(None):
        return "None"
    origin, args = get_origin(tp), get_args(tp)
    if origin in (Union, types.UnionType):
        return " | ".join(_type_name(arg) for arg in args)
    if origin is Literal:
        return f"Literal[{', '.join(map(repr, args))}]"
    if origin is not None and args:
        return f"{_type_name(origin)}[{', '.join(_type_name(arg) for arg in args)}]"
    return tp.__name__ if isinstance(tp, type) else inspect.formatannotation(tp)


def parameters_doc(model: type[BaseModel], *, positional: tuple[str, ...] = ()) -> str:
    """A numpydoc "Parameters" section from the fields' types, defaults and descriptions."""
    lines = ["Parameters", "----------"]
    signature = _signature(model, positional)
    reasons = not_tunable_reasons(model)
    for name, parameter in list(signature.parameters.items())[1:]:
        default = parameter.default
        shown = "" if default is inspect.Parameter.empty else f", default {default!r}"
        lines.append(f"{name} : {parameter.annotation}{shown}")
        description = model.model_fields[name].description or ""
        if name in reasons:
            description += f" Not tunable: {reasons[name]}."
        lines.append(textwrap.fill(description.strip(), width=96, initial_indent="    ",
                                   subsequent_indent="    "))
    return "\n".join(lines)

"""OpenAPI component names: one stable, unique name per marshmallow schema across the packages."""
from __future__ import annotations

from apispec.ext.marshmallow import MarshmallowPlugin, resolver
from apispec.ext.marshmallow.common import resolve_schema_cls
from marshmallow import class_registry
from marshmallow.exceptions import RegistryError

from .config import PACKAGES


def _package(cls: type) -> str:
    return cls.__module__.split(".")[0]


def schema_name(schema) -> str:
    """The component name: the class name without "Schema", prefixed by its package when it is ambiguous.

    Two of our packages may each have, say, a `SessionSchema` (courses' study session, reports' session
    row); both are then named after their package ("CoursesSession", "ReportsSession") whatever the order
    in which the blueprints are registered, so the document never falls back to apispec's numbered names.
    The app factory imports every package's API before registering any, so all namesakes are known.
    """
    resolved = resolve_schema_cls(schema)
    cls = resolved[0] if isinstance(resolved, list) else resolved
    name = resolver(cls)
    try:
        namesakes = class_registry.get_class(cls.__name__, all=True)
    except RegistryError:  # a class generated on the fly (Schema.from_dict) is not registered
        return name
    if not isinstance(namesakes, list):  # marshmallow answers one class as itself, not as a list
        namesakes = [namesakes]
    if ({_package(c) for c in namesakes} & set(PACKAGES)) - {_package(cls)}:  # libraries' schemas do not count
        return _package(cls).capitalize() + name
    return name


def marshmallow_plugin() -> MarshmallowPlugin:
    """A fresh marshmallow plugin for one app's spec, naming components with `schema_name`."""
    return MarshmallowPlugin(schema_name_resolver=schema_name)

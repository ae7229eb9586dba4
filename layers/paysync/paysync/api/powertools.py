"""Powertools' API resolver without the rest of its ``event_handler`` package.

``aws_lambda_powertools/event_handler/__init__.py`` imports every resolver Powertools has (AppSync,
which loads asyncio, Bedrock agents, VPC Lattice, function URLs, HTTP): some 15 ms of an API
function's cold start, for the one resolver paysync uses. Importing this module first registers
that package with its ``__init__`` deferred (PEP 562): a submodule imports as usual, a name the
``__init__`` re-exports (``from …event_handler import ApiGatewayResolver``, as Powertools' own
modules write) comes from the submodule that ``__init__`` takes it from, and any other name runs
the ``__init__`` itself, so every import of the package still works. The same for its event data
classes (some forty modules, for the two the resolver reads). A test keeps AppSync, asyncio and
the other event sources out of an API request.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import sys
from pathlib import Path
from typing import Any

# Powertools packages whose __init__ imports far more than the API resolver uses
PACKAGES = (
    "aws_lambda_powertools.event_handler",  # every resolver
    "aws_lambda_powertools.utilities.data_classes",  # every event source's classes
)


def reexports(package: str, init_source: str) -> dict[str, tuple[str, str]]:
    """Each name the ``__init__`` imports from one of its submodules: (submodule, name there)."""
    names: dict[str, tuple[str, str]] = {}
    for node in ast.parse(init_source).body:
        if not isinstance(node, ast.ImportFrom):
            continue
        if node.level == 1:
            module = f"{package}.{node.module}" if node.module else package
        elif node.level == 0 and node.module:
            module = node.module
        else:
            continue
        if module.startswith(f"{package}."):
            for alias in node.names:
                names[alias.asname or alias.name] = (module, alias.name)
    return names


def defer_package_init(name: str) -> None:
    """Register package ``name`` with its ``__init__`` deferred (nothing to do when it is imported
    already, or is not a package of source files)."""
    if name in sys.modules:
        return
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None or not spec.origin or spec.submodule_search_locations is None:
        return
    loader = spec.loader
    exported = reexports(name, Path(spec.origin).read_text(encoding="utf-8"))
    module = importlib.util.module_from_spec(spec)

    def deferred(attribute: str) -> Any:  # called for names the module does not have yet
        if attribute.startswith("__") and attribute != "__all__":
            raise AttributeError(attribute)  # what import machinery probes: the module has the rest
        if attribute in exported:
            source, original = exported[attribute]
            value = getattr(importlib.import_module(source), original)
        elif importlib.util.find_spec(f"{name}.{attribute}") is not None:
            value = importlib.import_module(f"{name}.{attribute}")  # `from package import submodule`
        else:
            if module.__dict__.pop("__getattr__", None) is not None:
                loader.exec_module(module)  # a name only the __init__ knows: run it, once
            return getattr(module, attribute)
        setattr(module, attribute, value)
        return value

    module.__dict__["__getattr__"] = deferred
    sys.modules[name] = module
    parent, _, child = name.rpartition(".")
    if parent:
        setattr(importlib.import_module(parent), child, module)


for _package in PACKAGES:
    defer_package_init(_package)

"""Packages registered with their ``__init__`` deferred, for the cold start (PEP 562).

Some libraries' ``__init__`` imports everything they have, to re-export it: Powertools'
``event_handler`` every resolver (AppSync's with asyncio), its ``data_classes`` forty event sources.
An API function uses a sliver of each. A package registered
here imports its submodules as usual; a name its ``__init__`` re-exports from a submodule
(``from package import Name``, as the libraries' own modules write) comes from that submodule; any
other name runs the ``__init__`` itself, in the same module object, so every import still works.
Nothing happens for a package already imported (the tests' long-lived process, say).
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import sys
from pathlib import Path
from typing import Any


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

    def run_init(attribute: str) -> Any:
        if module.__dict__.pop("__getattr__", None) is not None:
            loader.exec_module(module)  # once, in the registered module
        return getattr(module, attribute)

    def deferred(attribute: str) -> Any:  # called for names the module does not have yet
        if attribute.startswith("__") and attribute != "__all__":
            raise AttributeError(attribute)  # what import machinery probes: the module has the rest
        if attribute in exported:
            source, original = exported[attribute]
            try:
                value = getattr(importlib.import_module(source), original)
            except ImportError:  # an optional dependency the __init__ guards: it decides
                return run_init(attribute)
        elif importlib.util.find_spec(f"{name}.{attribute}") is not None:
            value = importlib.import_module(f"{name}.{attribute}")  # `from package import submodule`
        else:
            return run_init(attribute)  # a name only the __init__ knows
        setattr(module, attribute, value)
        return value

    module.__dict__["__getattr__"] = deferred
    sys.modules[name] = module
    parent, _, child = name.rpartition(".")
    if parent:
        setattr(importlib.import_module(parent), child, module)

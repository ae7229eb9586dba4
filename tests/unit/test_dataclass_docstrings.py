"""Every dataclass of the layer has a docstring: the one line a reader needs to know what it is.

Without one, Python 3.11's ``dataclasses`` builds ``__doc__`` itself, from ``inspect.signature`` of
the class, at import: a cost paid at each Lambda cold start, for a text no one reads.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "layers" / "paysync" / "paysync"


def _is_dataclass_decorator(decorator: ast.expr) -> bool:
    """``@dataclass``, ``@dataclass(...)``, ``@dataclasses.dataclass`` or ``@dataclasses.dataclass(...)``."""
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    if isinstance(target, ast.Attribute):
        return target.attr == "dataclass"
    return isinstance(target, ast.Name) and target.id == "dataclass"


def undocumented_dataclasses(package: Path) -> list[str]:
    """``file:line Class`` of each class under ``package`` decorated as a dataclass with no docstring."""
    found = []
    for path in sorted(package.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if (
                isinstance(node, ast.ClassDef)
                and any(_is_dataclass_decorator(d) for d in node.decorator_list)
                and ast.get_docstring(node) is None
            ):
                found.append(f"{path.relative_to(package.parent)}:{node.lineno} {node.name}")
    return found


def test_the_walk_finds_the_layer() -> None:
    assert (PACKAGE / "__init__.py").is_file(), PACKAGE


def test_the_walk_names_each_dataclass_without_a_docstring(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "m.py").write_text(
        "import dataclasses\n"
        "from dataclasses import dataclass\n"
        "@dataclass\nclass A:\n    x: int\n"
        '@dataclass(frozen=True)\nclass B:\n    """Documented."""\n'
        "@dataclasses.dataclass(slots=True)\nclass C:\n    x: int\n"
        "class D:\n    x: int\n",
        encoding="utf-8",
    )
    assert undocumented_dataclasses(package) == ["pkg/m.py:4 A", "pkg/m.py:10 C"]


def test_every_dataclass_has_a_docstring() -> None:
    missing = undocumented_dataclasses(PACKAGE)
    assert not missing, "dataclasses without a docstring:\n" + "\n".join(missing)

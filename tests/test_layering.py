"""The three floors import only downwards: autograd (the engine) imports neither nn nor chainrule,
nn never imports chainrule, not even inside a function, and the engine itself needs nothing but
the standard library (pictures import graphviz only when one is drawn)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FLOORS = ("autograd", "nn", "chainrule")  # bottom to top
# what each floor's modules may import at module level besides the standard library and the
# floors below; anything else must wait inside the function that needs it (lazily)
MODULE_LEVEL_EXTRAS: dict[str, set[str]] = {"autograd": set(), "nn": set(), "chainrule": set()}


def imports(path: Path) -> list[tuple[str, bool]]:
    """(top-level package, at module level?) for every import statement in the file, however
    deep inside functions, classes or conditionals it sits."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    top_level = {id(node) for node in tree.body}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found += [(name.split(".")[0], id(node) in top_level) for name in names]
    return found


def modules(floor: str) -> list[Path]:
    return sorted((ROOT / floor).rglob("*.py"))


@pytest.mark.parametrize("floor", FLOORS)
def test_a_floor_never_imports_the_floors_above_it(floor):
    above = set(FLOORS[FLOORS.index(floor) + 1:])
    wrong = [(path.relative_to(ROOT).as_posix(), name) for path in modules(floor)
             for name, _ in imports(path) if name in above]
    assert wrong == []


@pytest.mark.parametrize("floor", FLOORS)
def test_at_module_level_a_floor_imports_only_the_standard_library_and_the_floors_below(floor):
    allowed = set(sys.stdlib_module_names) | set(FLOORS[:FLOORS.index(floor) + 1])
    allowed |= MODULE_LEVEL_EXTRAS[floor] | {"__future__"}
    wrong = [(path.relative_to(ROOT).as_posix(), name) for path in modules(floor)
             for name, at_top in imports(path) if at_top and name not in allowed]
    assert wrong == []


def test_the_floors_are_found():
    assert all(modules(floor) for floor in FLOORS)
    # the checker sees imports inside functions too: it must find nn's lazy matplotlib import
    assert any(name == "matplotlib" and not at_top
               for path in modules("nn") for name, at_top in imports(path))

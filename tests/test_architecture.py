"""The apps' dependencies point one way, down the layers of README.md's "Architecture", and no
import hides inside a function (where it would hide an import loop from Python, not undo it).

Read from the source with ast, without importing anything. Migrations are frozen history and left
out; imports under `if TYPE_CHECKING:` are annotations only and allowed both ways.
"""

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

# Lowest first. An app imports only apps of a lower layer; the two in one layer not each other.
LAYERS = [
    ("core",),
    ("outbox", "housekeeping"),
    ("accounts",),
    ("clients", "availability"),
    ("standards",),
    ("audits",),
    ("findings",),
    ("reports",),
    ("certificates",),
    ("complaints", "transfers"),
    ("records", "scheduling", "oversight"),
    ("portal",),
    ("config",),
]
LAYER = {app: position for position, apps in enumerate(LAYERS) for app in apps}


def app_modules(app: str) -> list[Path]:
    return sorted(path for path in (ROOT / app).rglob("*.py") if "migrations" not in path.parts)


def app_code(app: str) -> list[Path]:
    # apps.py aside: AppConfig.ready() is where Django has an app import what needs the app registry
    # (its receivers, its models), which the module's top cannot.
    return [path for path in app_modules(app) if path.name != "apps.py"]


def _type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and (
        (isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING")
        or (isinstance(node.test, ast.Attribute) and node.test.attr == "TYPE_CHECKING")
    )


def imports(path: Path) -> list[tuple[str, int, bool]]:
    """(module imported, line, inside a function) for every absolute import of the module."""
    found = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if _type_checking(child):
                continue
            if isinstance(child, ast.Import):
                found.extend((alias.name, child.lineno, in_function) for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                assert child.level == 0, f"{path}:{child.lineno}: a relative import; write it absolute"
                found.append((child.module or "", child.lineno, in_function))
            visit(
                child, in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            )

    visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)), False)
    return found


def test_it_knows_every_app():
    apps = {path.parent.name for path in ROOT.glob("*/apps.py")}
    assert apps <= LAYER.keys(), f"apps missing from LAYERS: {sorted(apps - LAYER.keys())}"
    assert all((ROOT / app).is_dir() for app in LAYER)


@pytest.mark.parametrize("app", LAYER)
def test_it_imports_only_lower_apps(app):
    upward = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in app_modules(app)
        for module, line, _local in imports(path)
        if (target := module.partition(".")[0]) in LAYER and target != app and LAYER[target] >= LAYER[app]
    ]
    assert upward == [], f"{app} may import only apps below it:\n" + "\n".join(upward)


@pytest.mark.parametrize("app", LAYER)
def test_it_imports_at_the_top_of_each_module(app):
    local = [
        f"{path.relative_to(ROOT)}:{line} imports {module} inside a function"
        for path in app_code(app)
        for module, line, inside in imports(path)
        if inside
    ]
    assert local == [], "\n".join(local)


def test_it_catches_an_upward_and_a_hidden_import(tmp_path):
    module = tmp_path / "module.py"
    module.write_text("from core.errors import DomainError\n\ndef f():\n    import certificates.models\n")
    assert imports(module) == [("core.errors", 1, False), ("certificates.models", 4, True)]

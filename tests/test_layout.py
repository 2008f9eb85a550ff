"""The contract suite reads the contract through mock_server.spec, never the mock's internals.

A live target must not depend on the fake: only the target fixture may start the bundled mock.
"""

from __future__ import annotations

import ast
import fnmatch
import importlib
from pathlib import Path

import pytest

from mock_server.contract import spec

CONTRACT_TESTS = sorted((spec.contract_root() / "contract_tests").glob("*.py"))
ALLOWED = {"mock_server.contract", "mock_server.redaction", "mock_server.errors"}
# the target fixture starts the bundled mock; nothing else may
ALLOWED_IN = {"conftest.py": ALLOWED | {"mock_server.testing", "mock_server.Settings"}}


def mock_imports(path: Path) -> set[str]:
    """What a module takes from mock_server: 'mock_server.spec', 'mock_server.Settings', ..."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module == "mock_server":
            found |= {f"mock_server.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("mock_server."):
            found.add(".".join(node.module.split(".")[:2]))  # type: ignore[union-attr]
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("mock_server")}
    return found


@pytest.mark.parametrize("path", CONTRACT_TESTS, ids=lambda p: p.name)
def test_contract_tests_import_only_the_contract(path: Path) -> None:
    """contract_tests/* import the contract, redaction, errors (conftest: the runner too)."""
    assert mock_imports(path) <= ALLOWED_IN.get(path.name, ALLOWED)


def test_the_rule_sees_a_forbidden_import(tmp_path: Path) -> None:
    """An import of the mock's handlers is reported."""
    module = tmp_path / "m.py"
    module.write_text("from mock_server._http.app import create_app\nimport mock_server._domain\n")
    assert mock_imports(module) == {"mock_server._http", "mock_server._domain"}


# --- the README's map of the repository ------------------------------------------------------

MAP_MARKER = "<!-- repository-map"
OPEN = "…"  # a package whose list of modules may grow (one module per operation)


def repository_map(readme: str) -> dict[str, list[str]]:
    """The map block of the README: {'mock_server/_http/': ['__init__', 'admin', ...], ...}.

    Each line is a path, then (for mock_server's packages) its modules without '.py', or a
    description for the other folders.
    """
    block = readme.split(MAP_MARKER)[1].split("```text\n")[1].split("```")[0]
    return {line.split()[0]: line.split()[1:] for line in block.splitlines() if line.strip()}


def packages_on_disk(root: Path) -> dict[str, set[str]]:
    """{'mock_server/_http/': {'__init__', 'admin', ...}, ...}: every package under
    mock_server/ and the modules it holds."""
    found = {}
    for init in sorted((root / "mock_server").rglob("__init__.py")):
        package = init.parent
        found[f"{package.relative_to(root).as_posix()}/"] = {p.stem for p in package.glob("*.py")}
    return found


def map_departures(readme: str, root: Path) -> list[str]:
    """Where the map and the tree disagree, in words; empty when they match."""
    mapped, on_disk = repository_map(readme), packages_on_disk(root)
    problems = []
    for package, modules in sorted(on_disk.items()):
        if package not in mapped:
            problems.append(f"package {package} is not on the map")
            continue
        listed = set(mapped[package]) - {OPEN}
        if OPEN in mapped[package]:
            problems += [f"{package}{m}.py is on the map, not on disk" for m in listed - modules]
        elif listed != modules:
            problems += [f"{package}{m}.py is not on the map" for m in sorted(modules - listed)]
            problems += [f"{package}{m}.py is on the map, not on disk" for m in listed - modules]
    for path in sorted(mapped):
        if path.startswith("mock_server/") and path not in on_disk:
            problems.append(f"{path} is on the map but is not a package")
        elif not (root / path).is_dir():
            problems.append(f"{path} is on the map but is not a folder")
    folders = {p.name + "/" for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")}
    kept = {d for d in folders if not any(fnmatch.fnmatch(d, pattern) for pattern in _ignored())}
    problems += [f"{d} is not on the map" for d in sorted(kept - set(mapped))]
    return problems


def _ignored() -> list[str]:
    """The folder patterns .gitignore names ('dist/', '*.egg-info/'): not part of the tree."""
    lines = (spec.contract_root() / ".gitignore").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip().endswith("/")]


def test_readme_map_matches_the_tree() -> None:
    """Every package of mock_server/ and its modules, and every top folder, are on the map."""
    readme = (spec.contract_root() / "README.md").read_text(encoding="utf-8")
    assert map_departures(readme, spec.contract_root()) == []


def test_a_module_outside_the_map_is_reported(tmp_path: Path) -> None:
    """A new module in a mapped package, a new package, a stale name: each is a departure."""
    readme = (spec.contract_root() / "README.md").read_text(encoding="utf-8")
    root = tmp_path / "repo"
    for package in packages_on_disk(spec.contract_root()):
        (root / package).mkdir(parents=True)
    for package, modules in packages_on_disk(spec.contract_root()).items():
        for module in modules:
            (root / package / f"{module}.py").touch()
    for folder in repository_map(readme):
        (root / folder).mkdir(parents=True, exist_ok=True)
    assert map_departures(readme, root) == []
    (root / "mock_server/_domain/webhooks.py").touch()
    (root / "mock_server/_http/operations/ping.py").touch()  # open-ended: allowed
    (root / "mock_server/extras").mkdir()
    (root / "mock_server/extras/__init__.py").touch()
    (root / "mock_server/_http/journal.py").unlink()
    (root / "scripts").mkdir()
    (root / "dist").mkdir()  # ignored by git: not part of the tree
    assert map_departures(readme, root) == [
        "mock_server/_domain/webhooks.py is not on the map",
        "mock_server/_http/journal.py is on the map, not on disk",
        "package mock_server/extras/ is not on the map",
        "scripts/ is not on the map",
    ]


# --- the public surface ----------------------------------------------------------------------

PUBLIC = {
    "mock_server": [
        "AdminClient",
        "BodyViolation",
        "FixtureError",
        "MockServerError",
        "ServerThread",
        "Settings",
        "SpecError",
        "create_app",
    ],
    "mock_server.contract": ["spec"],
    "mock_server.testing": ["AdminClient", "AdminClientError", "ServerThread", "serve_app"],
}


@pytest.mark.parametrize("package", sorted(PUBLIC))
def test_public_surface_is_pinned(package: str) -> None:
    """The public packages export exactly these names; a change here is a change of API."""
    module = importlib.import_module(package)
    assert module.__all__ == PUBLIC[package]
    assert all(hasattr(module, name) for name in module.__all__)

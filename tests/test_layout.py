"""The contract suite reads the contract through mock_server.spec, never the mock's internals.

A live target must not depend on the fake: only the target fixture may start the bundled mock.
"""

from __future__ import annotations

import ast
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

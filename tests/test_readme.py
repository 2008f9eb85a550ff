"""README examples are executed: what a reader copies works."""

from __future__ import annotations

import re

import pytest

from mock_server.contract import spec

README = (spec.contract_root() / "README.md").read_text(encoding="utf-8")


def readme_example(name: str) -> str:
    """The code block that follows '<!-- readme-example: NAME -->' in the README."""
    match = re.search(rf"<!-- readme-example: {name} -->\n```python\n(.*?)```", README, re.DOTALL)
    assert match, f"README has no example named {name!r}"
    return match.group(1)


def test_plugin_example_passes(pytester: pytest.Pytester) -> None:
    """The README's pytest-plugin example passes as a user's test file."""
    pytester.makepyfile(test_readme_example=readme_example("plugin"))
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_plugin_example_is_about_ten_lines() -> None:
    """The example stays short enough to read at a glance."""
    assert len(readme_example("plugin").strip().splitlines()) <= 12

"""Dependency pins that a test must justify."""

from __future__ import annotations

from hypothesis import given
from hypothesis_jsonschema import from_schema

from mock_server.contract import spec


@given(from_schema(spec.schema(spec.OK)))
def test_hypothesis_jsonschema_draws_from_an_object_schema(body: dict[str, object]) -> None:
    """Drawing from an object schema works with the pinned Hypothesis.

    hypothesis-jsonschema 0.23.1 fails here with Hypothesis 6.170.10+ ('many' object has no
    attribute 'more'); pyproject.toml pins hypothesis<6.170.10. When a release of either fixes
    it, raise the pin: this test tells whether the new pair works.
    """
    assert spec.first_error(spec.OK, body) is None

"""The mock's exception hierarchy.

MockServerError
 ├── SpecError          a schema or data file of the contract is unusable
 │    └── FixtureError  a fixture record breaks its schema (names file, record, JSON path)
 ├── BodyViolation      the mock was about to send a body its schema rejects (a mock bug)
 └── StoreFull          a bounded store refuses one more record
"""

from __future__ import annotations


class MockServerError(Exception):
    """Base of every error the mock raises on purpose."""


class SpecError(MockServerError):
    """A file under schemas/ or fixtures/ cannot be used as the contract."""


class FixtureError(SpecError):
    """A fixture record does not satisfy its schema."""

    def __init__(self, file: str, record: str, path: str, reason: str) -> None:
        self.file, self.record, self.path, self.reason = file, record, path, reason
        super().__init__(f"Invalid fixture {file}, record {record}, at {path}: {reason}")


class BodyViolation(MockServerError):
    """An outbound body does not satisfy its schema."""

    def __init__(self, schema: str, path: str, reason: str) -> None:
        self.schema, self.path, self.reason = schema, path, reason
        super().__init__(f"Outbound body violates {schema} at {path}: {reason}")


class StoreFull(MockServerError):
    """A bounded store is full: the mock refuses to hold one more record."""

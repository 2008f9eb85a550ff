"""The contract reader: schemas/, the control-code catalogues, the assumption ledger,
operations.json and fixtures/ (spec), and the OpenAPI document generated from them
(openapi). The contract suite reads the contract through this package alone."""

from mock_server.contract import spec

__all__ = ["spec"]

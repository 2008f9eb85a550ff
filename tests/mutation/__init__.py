"""`make mutation`: the pytest plugin mutmut runs the tests with, and the per-module report."""

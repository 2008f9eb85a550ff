"""pytest settings for the mutation runs (mutmut loads this with `-p tests.mutation.plugin`).

Each mutant runs in a fresh process. Hypothesis draws the same examples on every run, so the
same code gets the same verdict; keeps no example database, so that one mutant's failures
are not replayed against the next; and does not shrink, since a mutant needs one failing
example and shrinking one can outlast mutmut's timeout. A mutant's tests run fastest first
(durations from mutmut's own stats run): it usually dies in the first one.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, settings

settings.register_profile(
    "mutation",
    max_examples=25,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("mutation")
# contract_tests/conftest.py loads the profile HYPOTHESIS_PROFILE names when it is imported
os.environ["HYPOTHESIS_PROFILE"] = "mutation"

# written by mutmut in the directory it runs the tests from (mutants/)
STATS = Path("mutmut-stats.json")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if not STATS.exists():
        return
    durations = json.loads(STATS.read_text(encoding="utf-8"))["duration_by_test"]
    items.sort(key=lambda item: durations.get(item.nodeid, 0.0))

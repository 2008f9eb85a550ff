"""The mutation score of each module `make mutation` mutates, and the survivors to look at.

Reads what `mutmut run` left in mutants/ (run from the repository root, after it) and
tests/mutation/equivalents.md, the mutants accepted as equivalent. Prints per module the
mutants, killed (a timeout or a mypy refusal counts as killed), survived, how many of those
are listed equivalents, the score (killed / mutants run less the listed equivalents, the
usual definition) and the raw score (killed / mutants run). Then each survivor the file does
not list, with its diff. Exits 1 if a module scores under MIN_SCORE, if an unlisted survivor
remains, or if a mutant was not run (an interrupted or partial run).

Arguments, if any, are the mutant-name patterns given to `mutmut run` (MUTANTS, e.g.
'contract_tests.*'): only the modules they match are judged, and every other module is
listed as left to another run, so that a shard of the gate passes on its own modules.
"""

from __future__ import annotations

import fnmatch
import re
import sys
from collections import Counter
from pathlib import Path

from mutmut.mutation.data import SourceFileMutationData
from mutmut.mutation.diff_apply import get_diff_for_mutant
from mutmut.stats import status_by_exit_code
from mutmut.utils.file_utils import walk_mutatable_files

MIN_SCORE = 98.0
EQUIVALENTS = Path(__file__).with_name("equivalents.md")
# '- `mock_server._domain.phones.x_canonical__mutmut_20`: why no test can tell it apart'
_ENTRY = re.compile(r"^- `(?P<name>[^`]+)`: (?P<reason>\S.*)$")
# mutmut's verdicts that count as killed (a timeout is a test that never finished)
KILLED = {"killed", "timeout", "caught by type check"}


def equivalents(text: str) -> dict[str, str]:
    """{mutant name: reason} of the list; a line that looks like an entry but has no reason
    raises ValueError, so an entry cannot be accepted without one."""
    found = {}
    for line in text.splitlines():
        if line.startswith("- `"):
            match = _ENTRY.match(line)
            if not match:
                raise ValueError(f"{EQUIVALENTS.name}: not '- `name`: reason': {line!r}")
            found[match["name"]] = match["reason"]
    return found


def main(patterns: list[str]) -> int:
    accepted = equivalents(EQUIVALENTS.read_text(encoding="utf-8"))
    failed = False
    unlisted: list[tuple[str, str]] = []
    survived: set[str] = set()
    print(
        f"{'module':<34} {'mutants':>7} {'killed':>7} {'survived':>8} {'equiv.':>6}"
        f" {'score':>7} {'raw':>7}"
    )
    for path in sorted(walk_mutatable_files()):
        data = SourceFileMutationData(path=path)
        data.load()
        if not data.exit_code_by_key:
            continue
        if patterns and not any(
            fnmatch.fnmatch(name, pattern) for name in data.exit_code_by_key for pattern in patterns
        ):
            print(f"{path!s:<34} left to another run (not in {' '.join(patterns)})")
            continue
        verdicts = {name: status_by_exit_code[code] for name, code in data.exit_code_by_key.items()}
        counts = Counter("killed" if v in KILLED else v for v in verdicts.values())
        survivors = sorted(n for n, v in verdicts.items() if v not in KILLED | {"not checked"})
        survived |= set(survivors)
        listed = [n for n in survivors if n in accepted]
        unlisted += [(n, verdicts[n]) for n in survivors if n not in accepted]
        run = len(verdicts) - counts["not checked"]
        raw = 100 * counts["killed"] / run if run else 0.0
        scored = run - len(listed)
        score = 100 * counts["killed"] / scored if scored else 0.0
        failed |= score < MIN_SCORE or run < len(verdicts)
        mark = "" if score >= MIN_SCORE else f"  < {MIN_SCORE:g}%"
        if run < len(verdicts):
            mark += f"  ({counts['not checked']} not run yet)"
        print(
            f"{path!s:<34} {len(verdicts):>7} {counts['killed']:>7} {len(survivors):>8}"
            f" {len(listed):>6} {score:>6.1f}% {raw:>6.1f}%{mark}"
        )
    judged = [n for n in accepted if not patterns or any(fnmatch.fnmatch(n, p) for p in patterns)]
    for name in sorted(set(judged) - survived):
        print(f"note: {EQUIVALENTS.name} lists {name}, which is killed or gone: drop the line")
    if unlisted:
        failed = True
        print(f"\n{len(unlisted)} survivors not in {EQUIVALENTS.name} (kill each with a test,")
        print("or list it there with the reason no test can tell it from the original):\n")
        for name, verdict in unlisted:
            print(f"{name}: {verdict}")
            print(get_diff_for_mutant(name))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

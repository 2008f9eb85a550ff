"""Every command in README.md and docs/*.md is run or checked: what a reader copies works.

Each fenced `sh` block (and each `run:` line of a `yaml` block) is split into commands, and
each command is checked by the rule for its program (RULES):

- curl runs against a real mock process, reset before each block. The output shown right
  after the command, as `# ...` lines or as the next `json`/`xml` block, must match: JSON
  as data, XML as text, and a line with '…' lists fragments that must each appear. A curl
  with no output shown must get a 2xx.
- smspartner-mock (also `python -m mock_server`) must parse with cli.build_parser; `--help`
  and `openapi` run, and `serve` starts on port 0 and answers.
- make needs each target in the Makefile and each VAR=value a variable the Makefile uses.
- pytest and `st run` may only use options those tools know; pip only extras pyproject.toml
  defines; `export NAME=...` and `NAME=... command` only variables the code reads.

The tables generated from the contract (the endpoint list, the serve options and synopsis)
are pinned here too, and every relative link and anchor must lead somewhere.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: Schemathesis brings tomli
    import tomli as tomllib

import pytest

from mock_server import cli
from mock_server.contract import spec

from .processes import mock_process

ROOT = spec.contract_root()
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
ENV_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
LOCAL_URL = re.compile(r"(?:127\.0\.0\.1|localhost):\d+")
FENCE = re.compile(r"^```(\w*)\n(.*?)^```\n", re.DOTALL | re.MULTILINE)


@dataclass
class Command:
    """One command of a block, where it is, and the output the page shows for it."""

    text: str
    where: str
    shown: list[str] = field(default_factory=list)  # '# ...' lines after it
    shown_block: tuple[str, str] | None = None  # (language, text) of the block after it

    @property
    def words(self) -> list[str]:
        return shlex.split(self.text, comments=True)


@dataclass
class Block:
    """A fenced sh or yaml block of a page, as commands."""

    where: str
    commands: list[Command]


def _commands(text: str, where: str) -> list[Command]:
    commands: list[Command] = []
    pending = ""
    for line in text.splitlines():
        if line.lstrip().startswith("#") and not pending:
            if commands:
                commands[-1].shown.append(line.lstrip()[1:].strip())
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        if (pending + line).strip():
            commands.append(Command((pending + line).strip(), where))
        pending = ""
    return commands


def blocks(path: Path) -> list[Block]:
    """The sh blocks of a page, and the yaml blocks' run: lines, as commands."""
    text = path.read_text(encoding="utf-8")
    fences = list(FENCE.finditer(text))
    found = []
    for index, fence in enumerate(fences):
        language, body = fence.group(1), fence.group(2)
        where = f"{path.relative_to(ROOT)}:{text.count(chr(10), 0, fence.start()) + 1}"
        if language == "sh":
            commands = _commands(body, where)
            after = fences[index + 1] if index + 1 < len(fences) else None
            if after is not None and after.start() == fence.end() and commands:
                commands[-1].shown_block = (after.group(1), after.group(2))
            found.append(Block(where, commands))
        elif language == "yaml":
            runs = re.findall(r"^\s*- run: (.*)$", body, re.MULTILINE)
            found.append(Block(where, [Command(run, where) for run in runs]))
    return [block for block in found if block.commands]


ALL_BLOCKS = [block for page in DOCS for block in blocks(page)]


# --- what the repository defines ---------------------------------------------------------


@functools.cache
def makefile() -> str:
    return (ROOT / "Makefile").read_text(encoding="utf-8")


def make_targets() -> set[str]:
    return set(re.findall(r"^([A-Za-z0-9_.-]+):(?!=)", makefile(), re.MULTILINE))


@functools.cache
def code_text() -> str:
    """Everything that may read an environment variable: the Makefile, the CI script, the
    Python sources and schemathesis.toml."""
    sources = [ROOT / "Makefile", ROOT / ".ci" / "run", ROOT / "schemathesis.toml"]
    for folder in ("mock_server", "contract_tests", "tests", "bench"):
        sources += sorted((ROOT / folder).rglob("*.py"))
    sources.remove(Path(__file__).resolve())  # the names in this file's own tests read nothing
    return "\n".join(path.read_text(encoding="utf-8") for path in sources)


@functools.cache
def help_options(*command: str) -> frozenset[str]:
    """The option strings a tool's --help lists (pytest with every conftest of testpaths)."""
    result = subprocess.run(
        [sys.executable, "-m", *command, "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return frozenset(re.findall(r"(?:^|[\s,\[])(-{1,2}[A-Za-z][\w-]*)", result.stdout, re.M))


def _program(words: list[str]) -> tuple[str, list[str]]:
    """('make', ['test']) from ['make', 'test']; python -m X and .venv/bin/X count as X."""
    program, rest = Path(words[0]).name, words[1:]
    if program.startswith("python") and rest[:1] == ["-m"]:
        module, rest = rest[1], rest[2:]
        program = {"mock_server": "smspartner-mock", "schemathesis.cli": "st"}.get(module, module)
    return {"schemathesis": "st", "py.test": "pytest"}.get(program, program), rest


# --- one rule per program ------------------------------------------------------------------


@dataclass
class Mock:
    """The mock process the curl commands reach."""

    authority: str  # 127.0.0.1:PORT

    def reset(self) -> None:
        request = urllib.request.Request(
            f"http://{self.authority}/_mock/reset",
            data=b"",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert answer.status == 200


def _shown_output(command: Command) -> tuple[str, str] | None:
    if command.shown:
        return "text", "\n".join(command.shown)
    return command.shown_block


def _matches(output: str, shown: tuple[str, str]) -> None:
    language, text = shown
    if language == "xml":
        assert output.strip() == text.strip()
    elif "…" in text:
        for fragment in filter(None, (part.strip() for part in text.split("…"))):
            assert fragment in output, f"{fragment!r} not in {output!r}"
    else:
        assert json.loads(output) == json.loads(text), output


def check_curl(command: Command, rest: list[str], mock: Callable[[], Mock]) -> None:
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    words = shlex.split(LOCAL_URL.sub(mock().authority, command.text), comments=True)
    result = subprocess.run(
        [*words, "--max-time", "10", "-w", "\n%{http_code}"],
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert result.returncode == 0, result.stderr
    output, _, status = result.stdout.rpartition("\n")
    shown = _shown_output(command)
    if shown is None:
        assert status.startswith("2"), f"{command.text} answered {status}: {output}"
    else:
        _matches(output, shown)


# a conformance report (schemas/conformance-report.schema.json) that measured epoch dates
MEASURED_REPORT = {
    "target": "https://api.example/v1",
    "generated": "2026-01-01T00:00:00+00:00",
    "summary": {"confirmed": 0, "contradicted": 1, "not probed": 0},
    "assumptions": [
        {
            "id": "date-format",
            "question": "q",
            "verdict": "contradicted",
            "expected": "docs",
            "observed": "epoch",
            "observed_value": "epoch",
        }
    ],
}


def check_mock_cli(command: Command, rest: list[str], tmp_path: Path) -> None:
    rest = [word for word in rest if word != "&"]
    parser = cli.build_parser()
    if "--help" in rest or "-h" in rest:
        with pytest.raises(SystemExit) as exit_info:
            parser.parse_args(rest)
        assert exit_info.value.code == 0
        return
    args = parser.parse_args(rest)
    if args.command == "calibrate":  # on a report of the documented form, measured by no one
        report = tmp_path / "report.json"
        report.write_text(json.dumps(MEASURED_REPORT), encoding="utf-8")
        written = tmp_path / "calibration.json"
        assert cli.main(["calibrate", str(report), "-o", str(written)]) == 0
        assert json.loads(written.read_text("utf-8"))["calibration"] == {"date-format": "epoch"}
        return
    if args.command == "openapi":
        written = tmp_path / "openapi.json"
        assert cli.main(["openapi", "-o", str(written)]) == 0
        assert written.read_text(encoding="utf-8") == (ROOT / "openapi.json").read_text("utf-8")
        return
    flags, skip = [], False
    for word in rest[1:]:  # serve on port 0 whatever port the page shows
        if skip or word == "--port":
            skip = not skip
            continue
        flags.append(word)
    if args.calibration is not None:  # a calibration as `calibrate` writes it
        calibration = tmp_path / "calibration.json"
        calibration.write_text(json.dumps({"calibration": {"date-format": "epoch"}}), "utf-8")
        flags[flags.index(str(args.calibration))] = str(calibration)
    with mock_process(*flags, stderr=subprocess.DEVNULL) as (_, url):
        query = "apiKey=YOUR_API_KEY&messageId=1111&phoneNumber=0600000000"
        with urllib.request.urlopen(f"{url}?{query}", timeout=10) as answer:
            assert answer.status == 200


def check_make(command: Command, rest: list[str]) -> None:
    assert rest, "make needs a target"
    for word in rest:
        if ENV_ASSIGNMENT.match(word):
            name = word.partition("=")[0]
            assert f"$({name})" in makefile() or f"${{{name}}}" in makefile(), name
        else:
            assert word in make_targets(), f"no target {word!r} in the Makefile"


def _unknown_options(rest: list[str], known: frozenset[str]) -> list[str]:
    used = [word.partition("=")[0] for word in rest if word.startswith("-") and word != "-"]
    return [option for option in used if option not in known]


def check_pytest(command: Command, rest: list[str]) -> None:
    assert not _unknown_options(rest, help_options("pytest", "-p", "no:cacheprovider"))
    for word in rest:
        if re.match(r"^(tests|contract_tests)(/|$)", word):
            assert (ROOT / word.partition("::")[0]).exists(), word


def check_st(command: Command, rest: list[str]) -> None:
    assert rest[:1] == ["run"], "only `st run` is documented"
    assert (ROOT / rest[1]).exists(), rest[1]
    result = subprocess.run(
        [sys.executable, "-m", "schemathesis.cli", *rest, "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


def check_pip(command: Command, rest: list[str]) -> None:
    assert rest[:1] == ["install"], rest
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    defined = set(extras["optional-dependencies"])
    for word in rest[1:]:
        wanted = re.fullmatch(r"\.\[([\w,-]+)\]", word)
        if wanted:
            assert set(wanted.group(1).split(",")) <= defined, word


def check_export(command: Command, rest: list[str]) -> None:
    for word in rest:
        assert word.partition("=")[0] in code_text(), f"nothing reads {word.partition('=')[0]}"


def check_script(command: Command, rest: list[str]) -> None:
    script = ROOT / command.words[0]
    assert script.is_file() and os.access(script, os.X_OK), script


RULES: dict[str, Callable[..., None]] = {
    "curl": check_curl,
    "smspartner-mock": check_mock_cli,
    "make": check_make,
    "pytest": check_pytest,
    "st": check_st,
    "pip": check_pip,
    "export": check_export,
}


def split_env(words: list[str]) -> tuple[list[str], list[str]]:
    """(['A=1'], ['make', 'x']) from ['A=1', 'make', 'x']."""
    count = 0
    while count < len(words) and ENV_ASSIGNMENT.match(words[count]):
        count += 1
    return words[:count], words[count:]


def rule_for(command: Command) -> Callable[..., None]:
    """The check of a command's program; a path to a script of the repository is run-able."""
    _, words = split_env(command.words)
    program, _ = _program(words)
    if program not in RULES and "/" in words[0]:
        return check_script
    assert program in RULES, (
        f"{command.where}: tests/test_docs.py has no rule for {program!r}; add one to RULES"
    )
    return RULES[program]


# --- the tests -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def docs_mock() -> Iterator[Mock]:
    with mock_process("--quiet") as (_, url):
        yield Mock(re.sub(r"^http://([^/]+)/.*$", r"\1", url))


@pytest.mark.parametrize("block", ALL_BLOCKS, ids=lambda block: block.where)
def test_every_documented_command_works(
    block: Block, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """Each command of the block is run, or checked against what it names."""
    reset_done = False

    def mock() -> Mock:
        nonlocal reset_done
        running: Mock = request.getfixturevalue("docs_mock")
        if not reset_done:
            running.reset()
            reset_done = True
        return running

    for command in block.commands:
        env, words = split_env(command.words)
        check_export(command, env)
        _, rest = _program(words)
        check = rule_for(command)
        if check is check_curl:
            check_curl(command, rest, mock)
        elif check is check_mock_cli:
            check_mock_cli(command, rest, tmp_path)
        else:
            check(command, rest)


def test_the_pages_have_commands() -> None:
    """The parser finds the blocks: the README's quick start and the docs' commands."""
    found = {block.where.split(":")[0] for block in ALL_BLOCKS}
    assert {"README.md", "docs/mock.md", "docs/lifecycle.md", "docs/faults.md"} <= found
    first = ALL_BLOCKS[0].commands
    assert [c.text.split()[:2] for c in first] == [["make", "serve"], ["make", "test"]]


def test_the_parser_reads_outputs_and_continuations() -> None:
    """'# ...' lines after a command are its output; a trailing backslash continues it."""
    commands = _commands("curl -s a \\\n  -H 'x: y'\n# {\"a\": 1}\nmake test  # comment\n", "x")
    assert [c.text for c in commands] == ["curl -s a    -H 'x: y'", "make test  # comment"]
    assert commands[0].shown == ['{"a": 1}'] and commands[1].shown == []
    assert commands[1].words == ["make", "test"]


def test_the_output_check_can_fail() -> None:
    """A different value, a missing fragment or other XML fails the comparison."""
    with pytest.raises(AssertionError):
        _matches('{"code": 10}', ("text", '{"code": 4}'))
    with pytest.raises(AssertionError):
        _matches('{"statut":"Waiting"}', ("text", '… "statut":"Delivered" …'))
    with pytest.raises(AssertionError):
        _matches("<result/>", ("xml", "<result></result>"))
    _matches('{"a": 1, "b": 2}', ("text", '{"b":2,"a":1}'))


def test_unknown_programs_and_options_are_reported() -> None:
    """A command no rule knows, a make target or an option that does not exist, fails."""
    with pytest.raises(AssertionError, match="no rule for 'wget'"):
        rule_for(Command("wget http://127.0.0.1:8080/", "x"))
    assert rule_for(Command("SOAK_SECONDS=1 .venv/bin/pytest tests", "x")) is check_pytest
    assert rule_for(Command(".ci/run", "x")) is check_script
    with pytest.raises(AssertionError, match="no target"):
        check_make(Command("make nothing-here", "x"), ["nothing-here"])
    assert _unknown_options(["--base-url", "u", "--nope=1"], frozenset({"--base-url"})) == [
        "--nope"
    ]
    with pytest.raises(AssertionError, match="nothing reads"):
        check_export(Command("export NOT_READ_BY_ANYTHING=1", "x"), ["NOT_READ_BY_ANYTHING=1"])


# --- tables generated from the contract ---------------------------------------------------


def endpoint_list() -> str:
    """The README's endpoint list, generated from schemas/operations.json."""
    lines = ["| endpoint | what it is |", "|---|---|"]
    for operation in spec.operations():
        lines.append(f"| `{operation.method} /v1{operation.path}` | {operation.summary} |")
    return "\n".join(lines)


def test_readme_endpoint_list_is_operations_json() -> None:
    """The README lists every operation the mock serves (regenerate with endpoint_list())."""
    assert endpoint_list() in (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_operation_has_a_row_in_the_mock_page() -> None:
    """docs/mock.md describes every operation of schemas/operations.json."""
    page = (ROOT / "docs" / "mock.md").read_text(encoding="utf-8")
    for operation in spec.operations():
        assert f"| `{operation.method} /v1{operation.path}` |" in page, operation.id


def _serve_parser() -> argparse.ArgumentParser:
    commands = next(
        action
        for action in cli.build_parser()._actions
        if isinstance(action, argparse._SubParsersAction)
    )
    parser: argparse.ArgumentParser = commands.choices["serve"]
    return parser


def _marked_block(page: str, marker: str) -> str:
    match = re.search(rf"<!-- {marker} -->\n```\w*\n(.*?)```", page, re.DOTALL)
    assert match, f"no block after <!-- {marker} -->"
    return match.group(1)


def test_serve_synopsis_is_the_parsers(monkeypatch: pytest.MonkeyPatch) -> None:
    """docs/mock.md shows argparse's own usage of `serve` at 100 columns."""
    monkeypatch.setenv("COLUMNS", "100")
    page = (ROOT / "docs" / "mock.md").read_text(encoding="utf-8")
    assert _marked_block(page, "serve-usage") == _serve_parser().format_usage()


def test_serve_options_table_is_the_parsers() -> None:
    """docs/mock.md's table has one row per `serve` option, with the parser's default."""
    page = (ROOT / "docs" / "mock.md").read_text(encoding="utf-8")
    table = page.split("<!-- serve-options -->\n")[1].split("\n\n")[0].splitlines()[2:]
    rows = {}
    for row in table:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        rows[cells[0].strip("`").split()[0]] = cells[1]
    actions = [a for a in _serve_parser()._actions if a.option_strings != ["-h", "--help"]]
    assert set(rows) == {action.option_strings[0] for action in actions}
    for action in actions:
        default = action.default
        if isinstance(default, bool):
            assert rows[action.option_strings[0]] == ("on" if default else "off")
        elif isinstance(default, (int, str)):
            assert f"`{default}`" in rows[action.option_strings[0]], action.option_strings


# --- links -----------------------------------------------------------------------------------


def _anchors(text: str) -> set[str]:
    """GitHub's anchors of a page's headings."""
    headings = re.findall(r"^#{1,6} (.+)$", FENCE.sub("", text), re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


@pytest.mark.parametrize("page", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_links_lead_somewhere(page: Path) -> None:
    """Every relative link names a file that exists, and an anchor that page has."""
    text = page.read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"^[a-z]+:", target):
            continue
        file, _, anchor = target.partition("#")
        linked = (page.parent / file).resolve() if file else page
        assert linked.exists(), target
        if anchor:
            assert anchor in _anchors(linked.read_text(encoding="utf-8")), target

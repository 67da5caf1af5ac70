"""Per-mutant test selection by coverage, for scripts/mutation.py: run only the tests that execute the mutated line.

Three roles, one file:

* `record()` runs a module's mapped tests once under coverage.py, with this file loaded as a pytest plugin that
  switches coverage's dynamic context to each test's node id (setup, call and teardown included), and writes
  `<name>.select.json`: for every line of the module's sources, the tests that executed it, plus the lines run
  outside any test (at import: constants, default arguments, decorators).
* the plugin hooks below (`pytest_runtest_protocol`, `pytest_runtest_logfinish`), active only under `-p`.
* `main()` is the test command cosmic-ray runs inside .mutation/tree for each mutant: it diffs the sources against
  the pristine copies kept next to the map, widens the changed lines to their whole statement (or a compound
  statement's header), and runs pytest (-x) on the tests that executed any of those lines, fastest first.
  A mutant in code that no test executes survives without running anything; a mutant in code that runs at
  import (outside any function body, or seen outside any test) or that cannot be placed runs every mapped test.
  Each decision is appended to `<name>.selection.jsonl`.

A test that never executes a line cannot see a change to it, so the selection kills what the whole set would,
as long as no test depends on another having run before it (each test here builds its own instances).
"""

from __future__ import annotations

import ast
import difflib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

IMPORT = "<import>"  # the tests list of a line run outside any test
NOT_EXECUTED = "no mapped test executes"  # what the command prints for a mutant it does not run


# --- the pytest plugin (loaded with `-p mutation_select` under `coverage run`) -------------------------------------

_started: dict[str, float] = {}
_durations: dict[str, float] = {}


def _switch(context: str) -> None:
    import coverage

    current = coverage.Coverage.current()
    if current is not None:
        current.switch_context(context)


def pytest_runtest_protocol(item: Any, nextitem: Any) -> None:
    """Everything a test runs from here to its teardown (fixtures included) counts for that test."""
    _started[item.nodeid] = time.monotonic()
    _switch(item.nodeid)


def pytest_runtest_logfinish(nodeid: str, location: Any) -> None:
    _durations[nodeid] = time.monotonic() - _started.pop(nodeid, time.monotonic())
    _switch("")


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    target = os.environ.get("MUTATION_SELECT_DURATIONS")
    if target:
        Path(target).write_text(json.dumps(_durations))


# --- record: coverage of each line by each test --------------------------------------------------------------------

def python_files(tree: Path, sources: tuple[str, ...]) -> list[str]:
    """The .py files (relative to `tree`) of the sources, which name files or packages."""
    found = []
    for source in sources:
        path = tree / source
        found += [str(p.relative_to(tree)) for p in sorted(path.rglob("*.py"))] if path.is_dir() else [source]
    return found


def record(name: str, sources: tuple[str, ...], options: list[str], tests: list[str], tree: Path, work: Path) -> float:
    """Run the tests once under coverage (they must pass) and write the map; return the seconds it took."""
    data_file = work / f"{name}.coverage"
    durations = work / f"{name}.durations.json"
    data_file.unlink(missing_ok=True)
    files = python_files(tree, sources)
    include = ",".join(str(tree / f) for f in files)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), os.environ.get("PYTHONPATH", "")]),
           "MUTATION_SELECT_DURATIONS": str(durations)}
    # SQLAlchemy's asyncio layer switches greenlets: without `greenlet` the tracer loses track of which file runs
    command = [sys.executable, "-m", "coverage", "run", "--concurrency=thread,greenlet", f"--data-file={data_file}",
               f"--include={include}",
               "-m", "pytest", "-p", "mutation_select", *options, *tests]
    started = time.monotonic()
    run = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True)
    took = time.monotonic() - started
    if run.returncode != 0:
        sys.exit(f"{name}: the tests fail under coverage before any mutation:\n"
                 f"{run.stdout[-3000:]}{run.stderr[-2000:]}")
    write_map(name, files, data_file, json.loads(durations.read_text()), options, tests, tree, work)
    return took


def write_map(name: str, files: list[str], data_file: Path, durations: dict[str, float], options: list[str],
              tests: list[str], tree: Path, work: Path) -> None:
    """`<name>.select.json` (line -> tests, per file) and pristine copies of the files to diff mutants against."""
    from coverage import CoverageData

    data = CoverageData(basename=str(data_file))
    data.read()
    lines: dict[str, dict[int, list[str]]] = {}
    for relative in files:
        by_line = data.contexts_by_lineno(str(tree / relative))
        lines[relative] = {n: sorted({c or IMPORT for c in contexts}) for n, contexts in by_line.items()}
    pristine = work / f"{name}.pristine"
    if pristine.exists():
        shutil.rmtree(pristine)
    for relative in files:
        (pristine / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(tree / relative, pristine / relative)
    selection = {"tree": str(tree), "pristine": str(pristine), "options": options, "tests": tests,
                 "durations": durations,
                 "lines": lines, "log": str(work / f"{name}.selection.jsonl")}
    (work / f"{name}.select.json").write_text(json.dumps(selection))


# --- select: the tests one mutant needs ------------------------------------------------------------------------------

def changed_lines(original: str, mutated: str) -> set[int]:
    """Line numbers (1-based, in the original) that the mutant replaced, or next to which it inserted."""
    changed: set[int] = set()
    matcher = difflib.SequenceMatcher(a=original.splitlines(), b=mutated.splitlines(), autojunk=False)
    for tag, i1, i2, _j1, _j2 in matcher.get_opcodes():
        if tag != "equal":
            changed.update(range(i1 + 1, i2 + 1) if i2 > i1 else {max(i1, 1), i1 + 1})
    return changed


def statement_lines(source: str, line: int) -> set[int]:
    """The lines of the innermost statement holding `line`: all of a simple one, the header of a compound one."""
    innermost: Any = None
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.stmt, ast.excepthandler)) and _first(node) <= line <= (node.end_lineno or node.lineno):
            if innermost is None or _first(node) >= _first(innermost):  # ast.walk goes outside in
                innermost = node
    if innermost is None:
        return {line}
    first = _first(innermost)
    body = getattr(innermost, "body", None)
    if isinstance(body, list) and body and line < body[0].lineno:
        return set(range(first, body[0].lineno))
    return set(range(first, (innermost.end_lineno or innermost.lineno) + 1))


def in_function_body(source: str, line: int) -> bool:
    """Whether `line` runs only when a function is called. Anything else runs when the module is imported (module
    and class bodies, `def` lines with their defaults and decorators), which may happen inside whichever test
    imports it first (dispatch imports its handlers lazily): such a line runs every test."""
    for node in ast.walk(ast.parse(source)):
        functions = (ast.FunctionDef, ast.AsyncFunctionDef)
        if isinstance(node, functions) and node.body[0].lineno <= line <= (node.end_lineno or 0):
            return True
        if isinstance(node, ast.Lambda) and node.body.lineno <= line <= (node.body.end_lineno or 0):
            return True
    return False


def _first(node: Any) -> int:
    """A statement's first line, its decorators included (they run when the `def` does)."""
    return min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])


def select(selection: dict[str, Any]) -> tuple[str, list[int], list[str] | None]:
    """(mutated file, its changed lines, the tests to run; None: all of them) for the mutant now in the tree."""
    tree, pristine = Path(selection["tree"]), Path(selection["pristine"])
    for relative, by_line in selection["lines"].items():
        original, current = (pristine / relative).read_text(), (tree / relative).read_text()
        if original == current:
            continue
        lines = changed_lines(original, current)
        try:
            wide = set().union(*(statement_lines(original, n) for n in lines))
            if not all(in_function_body(original, n) for n in wide):
                return relative, sorted(lines), None
        except SyntaxError:
            return relative, sorted(lines), None
        tests = {t for n in wide for t in by_line.get(str(n), [])}
        if IMPORT in tests:
            return relative, sorted(lines), None
        durations = selection["durations"]
        return relative, sorted(lines), sorted(tests, key=lambda t: (durations.get(t, 0.0), t))
    return "", [], None  # no source differs: cannot place the mutant, so run everything


def main() -> int:
    """The per-mutant test command: `python mutation_select.py <name>.select.json`."""
    selection = json.loads(Path(sys.argv[1]).read_text())
    where, lines, tests = select(selection)
    entry = {"file": where, "lines": lines, "tests": None if tests is None else len(tests)}
    with open(selection["log"], "a") as log:
        log.write(json.dumps(entry) + "\n")
    if tests == []:
        print(f"{NOT_EXECUTED} {where}:{lines}: the mutant survives without a run")
        return 0
    durations = selection["durations"]
    chosen = selection["tests"] if tests is None else tests
    budget = 30 + 3 * (sum(durations.values()) if tests is None else sum(durations.get(t, 10.0) for t in tests))
    pytest = [sys.executable, "-m", "pytest", "-x", *selection["options"], *chosen]
    process = subprocess.Popen(pytest, cwd=selection["tree"], start_new_session=True)
    try:
        return process.wait(timeout=budget)
    except subprocess.TimeoutExpired:  # a mutant that hangs is killed, as cosmic-ray's own timeout would
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        print(f"timed out after {budget:.0f} s (three times the selected tests' recorded time, plus 30 s)")
        return 1


def selection_summary(log: Path) -> str:
    """How the last run chose tests: mutants not run, run with every test, and the mean of the rest."""
    if not log.exists():
        return ""
    entries = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    counts = [e["tests"] for e in entries]
    none = sum(1 for c in counts if c == 0)
    every = sum(1 for c in counts if c is None)
    some = [c for c in counts if c]
    mean = f", {len(some)} ran {sum(some) / len(some):.1f} tests on average" if some else ""
    return f"{len(entries)} mutants: {none} executed by no test (not run), {every} ran every test{mean}"


if __name__ == "__main__":
    sys.exit(main())

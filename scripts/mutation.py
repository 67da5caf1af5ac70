"""Mutation testing of the modules that guard trust (issue 18), with cosmic-ray; slow, so not in CI.

Each module is mutated in a scratch copy of the work tree (.mutation/tree: an interrupted run never
leaves a mutant in the sources), one module at a time, and every mutant runs only the fast test files
mapped to that module below, under a per-mutant timeout. A module whose tests are slow (`select=True`) goes
further: its tests run once under coverage, and each mutant runs only the tests that execute the mutated line
(scripts/mutation_select.py); a mutant in a line no mapped test executes survives without a run.
The report gives, per module, killed / total, the survivors (file:line, operator, the mutated line) and the
survivors listed as equivalent in scripts/mutation-equivalent.md, which count neither as killed nor as
survivors in the score.

    scripts/mutation.sh                    # every module, one after the other
    scripts/mutation.sh addresses headers  # only these
    scripts/mutation.sh --report addresses # reprint the last run's report, run nothing
    scripts/mutation.sh --survivors forms  # after adding tests: run only the last run's survivors again
    scripts/mutation.sh --list             # the module -> tests map
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from mutation_select import NOT_EXECUTED, record, selection_summary

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / ".mutation"
TREE = WORK / "tree"
EQUIVALENT = ROOT / "scripts" / "mutation-equivalent.md"


@dataclass(frozen=True)
class Target:
    """One module (or package) under mutation and the fast tests that cover it."""

    sources: tuple[str, ...]
    tests: tuple[str, ...]
    conftest: bool = False  # the tests need tests/conftest.py's fixtures (importing it costs ~3 s a mutant)
    select: bool = False  # per-mutant test selection by coverage (scripts/mutation_select.py)


# Module -> the test files that exercise it, fastest first; each mutant runs only these (with -x).
TARGETS: dict[str, Target] = {
    "addresses": Target(("fediverse/federation/addresses.py",), ("tests/unit/test_addresses.py",)),
    "headers": Target(("fediverse/consent/headers.py",), ("tests/unit/test_consent_emit.py",)),
    "signatures": Target(
        ("fediverse/activitypub/signatures", "fediverse/wire/structured_fields.py"),
        ("tests/unit/wire/test_structured_fields.py", "tests/unit/test_signatures_limits.py",
         "tests/unit/test_signatures.py", "tests/unit/test_signatures_interop.py"),
    ),
    "forms": Target(("fediverse/web/panel/forms.py",), ("tests/unit/test_panel_forms.py",)),
    "sessions": Target(
        ("fediverse/web/panel/sessions.py", "fediverse/services/web_sessions.py"),
        ("tests/unit/test_web_sessions.py",),
    ),
    "inbox": Target(
        ("fediverse/inbox",),
        ("tests/federation/test_inbound_permissions.py", "tests/federation/test_inbox_bad_input.py",
         "tests/federation/test_inbox_hardening.py", "tests/federation/test_keys.py",
         "tests/federation/test_follow.py", "tests/federation/test_boosts.py",
         "tests/federation/test_works_federation.py",
         "tests/federation/test_reply_audience.py", "tests/federation/test_mastodon_payloads.py",
         "tests/federation/test_moderation_federation.py", "tests/admin/test_spam_quarantine.py"),
        conftest=True, select=True,  # real instances: ~1 s a test, ~90 tests
    ),
    "derive": Target(
        ("fediverse/imaging/derive.py",),
        ("tests/unit/test_imaging_derive_rules.py", "tests/unit/test_imaging_derive.py",
         "tests/unit/test_imaging_hostile.py", "tests/unit/test_consent_xmp.py"),
        select=True,  # image tests: each mutant runs only the tests that execute its line
    ),
    "probe": Target(
        ("fediverse/imaging/probe.py",),
        ("tests/unit/test_imaging_probe.py", "tests/unit/test_imaging_hostile.py"),
    ),
}


def copy_tree() -> None:
    """Copy the tracked and untracked-but-not-ignored files into the scratch tree, afresh."""
    if TREE.exists():
        shutil.rmtree(TREE)
    files = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, check=True, capture_output=True,
    ).stdout.decode().split("\0")
    for name in filter(None, files):
        source = ROOT / name
        if source.is_file() and not name.startswith(".mutation/"):
            (TREE / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, TREE / name)
    # cosmic-ray runs the tests with PYTHONDONTWRITEBYTECODE, so without this every mutant compiles every module
    # from source. Hash-checked: a mutated file never matches its .pyc, whatever its size and time stamp.
    subprocess.run([sys.executable, "-m", "compileall", "-q", "--invalidation-mode", "checked-hash",
                    "fediverse", "tests"], cwd=TREE, check=True)


def test_files(target: Target) -> list[str]:
    tests = [t for t in target.tests if (TREE / t).exists()]
    if not tests:
        sys.exit(f"none of {', '.join(target.tests)} exists")
    return tests


def pytest_options(target: Target) -> list[str]:
    return ["-p", "no:cacheprovider", "-q", "--no-header", *([] if target.conftest else ["--noconftest"])]


def test_command(name: str, target: Target) -> list[str]:
    """The test run for one mutant: the mapped files only (or, with `select`, the tests that execute the mutated
    line), stop at the first failure."""
    if target.select:
        return [sys.executable, str(ROOT / "scripts" / "mutation_select.py"), str(WORK / f"{name}.select.json")]
    return [sys.executable, "-m", "pytest", "-x", *pytest_options(target), *test_files(target)]


def baseline(name: str, target: Target) -> float:
    """Run the tests on the unmutated copy (under coverage, recording the selection map, with `select`); they
    must pass. The seconds it took."""
    (WORK / f"{name}.selection.jsonl").unlink(missing_ok=True)
    if target.select:
        return record(name, target.sources, pytest_options(target), test_files(target), TREE, WORK)
    started = time.monotonic()
    run = subprocess.run(test_command(name, target), cwd=TREE, capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit(f"{name}: the tests fail before any mutation:\n{run.stdout[-3000:]}")
    return time.monotonic() - started


def rerun_survivors(name: str, target: Target) -> None:
    """Run again only the mutants that survived the last run (after adding tests; the sources must not have
    changed since, or the recorded mutations point at the wrong places). Mutants the last run did not reach
    (an interrupted run) stay pending: they run in a copy of the session that holds the survivors only."""
    session = WORK / f"{name}.sqlite"
    rerun = WORK / f"{name}.survivors.sqlite"
    config = WORK / f"{name}.toml"
    if not session.exists():
        sys.exit(f"{name}: no earlier run to take the survivors of")
    baseline(name, target)  # the tests may have changed since: a fresh selection map
    command = " ".join(test_command(name, target))
    config.write_text(re.sub(r"(?m)^test-command = .*$", lambda _: f"test-command = {json.dumps(command)}",
                             config.read_text()))
    shutil.copyfile(session, rerun)
    equivalent = load_equivalent()
    with closing(sqlite3.connect(rerun)) as db, db:
        db.execute("CREATE TEMP TABLE again (job_id VARCHAR PRIMARY KEY)")
        for job_id, path, operator, diff in db.execute(
                "SELECT job_id, module_path, operator_name, diff FROM work_results JOIN mutation_specs USING (job_id) "
                "WHERE test_outcome = 'SURVIVED'").fetchall():
            if (path, operator, mutated_line(diff or "")) not in equivalent:  # justified already: no need to rerun
                db.execute("INSERT INTO again VALUES (?)", (job_id,))
        for table in ("mutation_specs", "work_items"):
            db.execute(f"DELETE FROM {table} WHERE job_id NOT IN (SELECT job_id FROM again)")
        db.execute("DELETE FROM work_results")
        gone = db.execute("SELECT count(*) FROM again").fetchone()[0]
    print(f"{name}: running the {gone} survivors again", flush=True)
    cosmic = str(Path(sys.executable).with_name("cosmic-ray"))
    subprocess.run([cosmic, "exec", str(config), str(rerun)], cwd=TREE, check=True)
    with closing(sqlite3.connect(session)) as db, db:
        db.execute("ATTACH DATABASE ? AS rerun", (str(rerun),))
        db.execute("INSERT OR REPLACE INTO work_results SELECT * FROM rerun.work_results")
    rerun.unlink()


def run_module(name: str, target: Target, timeout_floor: float) -> None:
    """Baseline the tests on the unmutated copy, then mutate and test every mutant of the module."""
    command = test_command(name, target)
    took = baseline(name, target)
    timeout = max(timeout_floor, 3 * took + 5)  # the machine is shared: leave room for load
    config = WORK / f"{name}.toml"
    session = WORK / f"{name}.sqlite"
    session.unlink(missing_ok=True)
    modules = ", ".join(json.dumps(s) for s in target.sources)
    config.write_text(
        "[cosmic-ray]\n"
        f"module-path = [{modules}]\n"
        f"timeout = {timeout:.0f}\n"
        "excluded-modules = []\n"
        f"test-command = {json.dumps(' '.join(command))}\n"
        "[cosmic-ray.distributor]\nname = \"local\"\n"
    )
    cosmic = [str(Path(sys.executable).with_name("cosmic-ray"))]
    subprocess.run([*cosmic, "init", str(config), str(session)], cwd=TREE, check=True)
    skip_annotation_mutants(session)
    print(f"{name}: baseline {took:.1f}s, timeout {timeout:.0f}s per mutant", flush=True)
    subprocess.run([*cosmic, "exec", str(config), str(session)], cwd=TREE, check=True)


class _NoSignatureAnnotations(ast.NodeTransformer):
    """Drops the annotations of function arguments and return values."""

    def visit_arg(self, node: ast.arg) -> ast.arg:
        node.annotation = None
        return node

    def generic_visit(self, node: ast.AST) -> ast.AST:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            node.returns = None
        return super().generic_visit(node)


def _signature_blind(source: str) -> str:
    try:
        return ast.dump(_NoSignatureAnnotations().visit(ast.parse(source)))
    except SyntaxError:  # a mutant that does not compile: the tests kill it
        return ""


def skip_annotation_mutants(session: Path) -> None:
    """Mark as skipped the mutants that change only a function's annotations in a module with
    `from __future__ import annotations`: those are strings nothing evaluates, so the mutant is equivalent."""
    from cosmic_ray.mutating import mutate_code
    from cosmic_ray.plugins import get_operator
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import WorkerOutcome, WorkResult

    sources: dict[str, str] = {}
    def annotation_only(path: str, operator: str, occurrence: int) -> bool:
        # The work tree's file, never the scratch copy: a run stopped mid-mutant leaves that mutant in the copy,
        # and a source that does not parse would make every mutant look annotation-only.
        source = sources.setdefault(path, (ROOT / path).read_text())
        if "from __future__ import annotations" not in source or not _signature_blind(source):
            return False
        try:
            mutated = mutate_code(source, get_operator(operator)(), occurrence)
        except Exception:  # noqa: BLE001 - an operator cosmic-ray cannot apply here: leave the mutant to run
            return False
        return mutated is not None and _signature_blind(mutated) == _signature_blind(source)

    with use_db(str(session), WorkDB.Mode.open) as db:
        items = [item for item in db.pending_work_items]
        items += [item for item, result in db.completed_work_items if result.test_outcome == "survived"]
        for item in items:
            mutation = item.mutations[0]
            if annotation_only(str(mutation.module_path), mutation.operator_name, mutation.occurrence):
                db.set_result(item.job_id, WorkResult(worker_outcome=WorkerOutcome.SKIPPED))


def load_equivalent() -> set[tuple[str, str, str]]:
    """(file, operator, mutated line) of each mutant justified as equivalent in scripts/mutation-equivalent.md.

    A line there reads: - `path:line` `core/Operator` `mutated code` — why.
    """
    found = set()
    if EQUIVALENT.exists():
        for line in EQUIVALENT.read_text().splitlines():
            match = re.match(r"- `([^`:]+):\d+` `([^`]+)` `(.*?)` ", line)
            if match:
                found.add((match[1], match[2], match[3].strip()))
    return found


def mutated_line(diff: str) -> str:
    """The first added line of a mutant's diff, stripped: what the mutant reads like."""
    for line in diff.splitlines():
        if line.startswith("+") and not line.startswith("+++"):
            return line[1:].strip()
    return ""


def report(name: str) -> tuple[int, int, int]:
    """Print one module's score and survivors; return (killed, scored, equivalent)."""
    session = WORK / f"{name}.sqlite"
    if not session.exists():
        print(f"{name}: not run")
        return 0, 0, 0
    skip_annotation_mutants(session)  # also the survivors of a run made before this rule
    cosmic = str(Path(sys.executable).with_name("cosmic-ray"))
    dump = subprocess.run([cosmic, "dump", str(session)], capture_output=True, text=True, check=True).stdout
    equivalent = load_equivalent()
    killed = pending = equal = 0
    survivors = []
    for row in dump.splitlines():
        item, result = json.loads(row)
        if result is None:
            pending += 1
            continue
        if result["worker_outcome"] == "no-test":
            continue
        if result["worker_outcome"] == "skipped":  # an annotation-only mutant (skip_annotation_mutants)
            equal += 1
            continue
        mutation = item["mutations"][0]
        where = f"{mutation['module_path']}:{mutation['start_pos'][0]}"
        line = mutated_line(result.get("diff") or "")
        if result["test_outcome"] == "survived":
            if (mutation["module_path"], mutation["operator_name"], line) in equivalent:
                equal += 1
            else:
                unseen = "  [no mapped test executes it]" if NOT_EXECUTED in (result.get("output") or "") else ""
                survivors.append(f"  {where}  {mutation['operator_name']}  ->  {line}{unseen}")
        else:
            killed += 1
    scored = killed + len(survivors)
    share = 100 * killed / scored if scored else 100.0
    print(f"{name}: {killed} / {scored} killed ({share:.1f} %), {equal} equivalent, {pending} not run")
    summary = selection_summary(WORK / f"{name}.selection.jsonl")
    if summary:
        print(f"  (last run's test selection: {summary})")
    for survivor in sorted(survivors, key=lambda s: (s.split(":")[0], int(s.split(":")[1].split()[0]))):
        print(survivor)
    return killed, scored, equal


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("modules", nargs="*", help=f"any of: {', '.join(TARGETS)} (default: all)")
    parser.add_argument("--report", action="store_true", help="only print the last run's report")
    parser.add_argument("--list", action="store_true", help="print the module -> tests map")
    parser.add_argument("--survivors", action="store_true",
                        help="run only the last run's survivors again, against the current tests")
    parser.add_argument("--timeout", type=float, default=20.0, help="least seconds a mutant's tests may take")
    args = parser.parse_args()
    unknown = set(args.modules) - set(TARGETS)
    if unknown:
        parser.error(f"unknown module(s): {', '.join(sorted(unknown))}")
    names = args.modules or list(TARGETS)
    if args.list:
        for name in names:
            print(f"{name}: {' '.join(TARGETS[name].sources)}\n    <- {' '.join(TARGETS[name].tests)}")
        return
    if not args.report:
        WORK.mkdir(exist_ok=True)
        copy_tree()
        for name in names:
            if args.survivors:
                rerun_survivors(name, TARGETS[name])
            else:
                run_module(name, TARGETS[name], args.timeout)
    print()
    for name in names:
        report(name)


if __name__ == "__main__":
    main()

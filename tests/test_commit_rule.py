"""The commit rule of shared/docs/architecture.md: the use case commits, helpers never do.

A use case is a public function of `services/` or `inbox/` (called by a view, a CLI command or a job), or the
body of a job (`federation.deliver.deliver`); `jobs/` is the runner, where a claim and a job's outcome are units
of work of their own. Views (`web/`), the CLI, query helpers (`db/`) and private helpers (a leading underscore)
never commit, so one request, command or job is one unit of work that a refusal can still roll back whole.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "fediverse"
USE_CASE_PACKAGES = ("services", "inbox", "federation")
RUNNER = "jobs"


def _commits(tree: ast.AST) -> list[tuple[str, int]]:
    """(function name, line) of every `.commit()` call, named by the innermost enclosing function."""
    found: list[tuple[str, int]] = []

    def visit(node: ast.AST, function: str) -> None:
        for child in ast.iter_child_nodes(node):
            name = child.name if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) else function
            if (isinstance(child, ast.Call) and isinstance(child.func, ast.Attribute)
                    and child.func.attr == "commit" and not child.args):
                found.append((function, child.lineno))
            visit(child, name)

    visit(tree, "<module>")
    return found


def _offences() -> list[str]:
    offences = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        if relative.parts[0] == RUNNER:
            continue
        use_case_module = relative.parts[0] in USE_CASE_PACKAGES
        for function, line in _commits(ast.parse(path.read_text(), str(path))):
            if not use_case_module or function.startswith("_") or function == "<module>":
                offences.append(f"fediverse/{relative}:{line} in {function}()")
    return offences


def test_only_use_cases_commit() -> None:
    assert _offences() == []


def test_the_rule_sees_a_commit_in_a_view_and_in_a_private_helper() -> None:
    tree = ast.parse("async def view(s):\n    await s.commit()\nasync def _helper(s):\n    await s.commit()\n")
    assert _commits(tree) == [("view", 2), ("_helper", 4)]

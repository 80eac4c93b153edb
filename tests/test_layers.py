"""The layer rule (docs/CONTRACTS.md, "Layers"): imports run one way, no cycles.

Every import counts, also those inside functions: a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("core", "ingest", "index", "answer", "cases", "validity", "service", "evals", "app",
            "cli", "api")
_STAGES = {"core"}
_SERVICE = _STAGES | {"ingest", "index", "answer", "cases", "validity"}
# What each top-level package may import (besides itself).
ALLOWED: dict[str, set[str]] = {
    "core": set(),
    "ingest": _STAGES,
    "index": _STAGES,
    "answer": _STAGES,
    "cases": _STAGES,  # the editors' workspace (issue 11)
    "validity": _STAGES,  # in force, repealed, amended … (issue 12)
    "service": _SERVICE,
    "evals": _SERVICE | {"service"},
    "app": _SERVICE | {"service"},
    # The HTTP API (`kb serve`, issue 15): an interface over the service layer only.
    "api": {"core", "service"},
    # The CLI mounts the evaluation commands (`kb eval`, `kb bench`) and serves the API.
    "cli": _SERVICE | {"service", "evals", "api"},
}


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    out = {}
    for pkg in PACKAGES:
        for f in sorted((ROOT / pkg).rglob("*.py")):
            out[module_name(f)] = f
    return out


def imports_of(path: Path, name: str, known: set[str]) -> set[str]:
    """Project modules imported anywhere in a file (top level or inside functions)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    is_pkg = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                here = name.split(".") if is_pkg else name.split(".")[:-1]
                up = here[: len(here) - (node.level - 1)]
                base = ".".join([*up, base] if base else up)
            # `from pkg import mod` imports the submodule when there is one.
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base
                       for a in node.names]
        for t in targets:
            while t and t not in known:
                t = t.rpartition(".")[0]
            if t and t != name:
                found.add(t)
    return found


def graph() -> dict[str, set[str]]:
    mods = project_modules()
    known = set(mods)
    return {m: imports_of(p, m, known) for m, p in mods.items()}


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the directed graph, as a path that returns to its start, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(n: str) -> list[str] | None:
        state[n] = 1
        stack.append(n)
        for m in sorted(edges.get(n, ())):
            if state.get(m) == 1:
                return stack[stack.index(m):] + [m]
            if m not in state and (cyc := visit(m)):
                return cyc
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(edges):
        if n not in state and (cyc := visit(n)):
            return cyc
    return None


def package_graph(edges: dict[str, set[str]]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for m, deps in edges.items():
        top = m.split(".")[0]
        out.setdefault(top, set()).update(d.split(".")[0] for d in deps if d.split(".")[0] != top)
    return out


def test_find_cycle_sees_a_cycle_and_its_absence():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_imports_inside_functions_count(tmp_path):
    f = ROOT / "service" / "wiring.py"
    assert "ingest.chunking" in imports_of(f, "service.wiring", set(project_modules()))


def test_no_cycle_between_modules():
    assert find_cycle(graph()) is None


def test_no_cycle_between_packages():
    assert find_cycle(package_graph(graph())) is None


def test_each_package_imports_only_the_layers_below():
    wrong = [f"{m} imports {d}" for m, deps in graph().items() for d in sorted(deps)
             if d.split(".")[0] != m.split(".")[0]
             and d.split(".")[0] not in ALLOWED[m.split(".")[0]]]
    assert not wrong, "\n".join(wrong)

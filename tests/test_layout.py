"""The package's layout, read from its source with ``ast`` (nothing is imported):

- no two modules of mlplab import each other, directly or around a longer loop (module-level
  imports: what runs when a module is imported), so every module can be read, and imported, after
  the ones below it (DESIGN.md, "Where the design is going");
- imports inside functions are kept for optional dependencies (matplotlib, onnx, tensorboardX, ray,
  tqdm, the backends: :data:`OPTIONAL`); an mlplab module imported inside a function would hide an
  edge of the graph above, so there are none but the package's lazy ``ml.Run`` (:data:`BY_DESIGN`).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "mlplab"

# What may be imported inside a function: optional dependencies, and what is heavy and needed by one path only.
OPTIONAL = {
    "matplotlib": "figures only: training never loads it",
    "onnx": "the onnx extra (mlplab export)",
    "tensorboardX": "the tensorboard extra (--tensorboard)",
    "ray": "the ray extra (sweep --executor ray)",
    "tqdm": "tqdm.auto chooses a notebook or a terminal bar when a bar is shown",
    "torch": "a backend, imported when chosen",
    "cupy": "a backend, imported when chosen",
    "array_api_compat": "a backend's namespace, imported when chosen",
    "array_api_strict": "a backend, imported when chosen",
    "jax": "benchmarks only",
    "IPython": "notebooks only",
}
# mlplab modules imported inside a function by design, with the reason.
BY_DESIGN = {
    ("__init__.py", "mlplab.runs"): "ml.Run is imported on first use: `import mlplab` loads the engine, not the "
                                    "run machinery mlplab.runs drives (and mlplab.run imports the package)",
}


def module_names(root: Path) -> dict[str, Path]:
    """Every module of the package under ``root`` by dotted name: ``.py`` files, packages (their
    ``__init__.py``) and compiled extensions (``_fused.cpython-311-x86_64-linux-gnu.so``)."""
    names: dict[str, Path] = {}
    for path in sorted(root.rglob("*")):
        if path.suffix not in (".py", ".so", ".pyd"):
            continue
        parts = list(path.relative_to(root.parent).parts)
        parts[-1] = parts[-1].split(".", 1)[0]
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def _imported(node: ast.Import | ast.ImportFrom, module: str, is_package: bool, modules: dict[str, Path]) -> set[str]:
    """The package's modules an import statement in ``module`` loads: ``from p import name`` counts as
    the submodule ``p.name`` where one exists, else as ``p`` itself."""
    def owner(name: str) -> str | None:           # the longest prefix of ``name`` that is a module of ours
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    found: set[str | None] = set()
    if isinstance(node, ast.Import):
        found = {owner(alias.name) for alias in node.names}
    else:
        base = node.module or ""
        if node.level:                               # a relative import: resolve against this module's package
            package = module.split(".") if is_package else module.split(".")[:-1]
            package = package[:len(package) - (node.level - 1)]
            base = ".".join(package + ([base] if base else []))
        for alias in node.names:
            full = f"{base}.{alias.name}"
            found.add(full if full in modules else owner(base))
    return {name for name in found if name is not None}


def import_graph(root: Path, at_module_level: bool = True) -> dict[str, set[str]]:
    """``module -> the package's modules it imports``. Module-level imports only by default (those in
    ``if``/``try`` blocks included; those in functions not); ``at_module_level=False`` takes the
    imports inside functions instead. A module's parent packages, which Python imports before it,
    are listed only where the module names them (``import mlplab`` in ``mlplab.run``): a package whose
    ``__init__`` imports such a module is a loop."""
    modules = module_names(root)
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        if path.suffix != ".py":
            graph[name] = set()
            continue
        tree = ast.parse(path.read_text(), filename=str(path))
        found: set[str] = set()

        def visit(statements: list[ast.stmt], in_function: bool) -> None:
            for node in statements:
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    visit(node.body, True)
                elif isinstance(node, ast.If) and _type_checking(node.test):
                    visit(node.orelse, in_function)          # read by type checkers only, never run
                elif isinstance(node, (ast.Import, ast.ImportFrom)):
                    if in_function != at_module_level:
                        found.update(_imported(node, name, path.name == "__init__.py", modules))
                else:
                    for child in ast.iter_child_nodes(node):
                        if isinstance(child, ast.stmt):
                            visit([child], in_function)
                        elif isinstance(child, ast.excepthandler):
                            visit(child.body, in_function)

        visit(tree.body, False)
        graph[name] = found - {name}
    return graph


def _type_checking(test: ast.expr) -> bool:
    """``if TYPE_CHECKING:`` or ``if typing.TYPE_CHECKING:``."""
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import loops of ``graph``: one path ``[a, b, ..., a]`` per strongly connected component of
    more than one module (Tarjan's algorithm, iterative so a deep package cannot overflow the stack)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(_loop(graph, set(component)))
    return components


def _loop(graph: dict[str, set[str]], component: set[str]) -> list[str]:
    """One loop through a strongly connected component, for the failure message (breadth-first from its
    first member back to itself)."""
    first = min(component)
    came_from: dict[str, str] = {}
    frontier = [first]
    while frontier:
        following = []
        for node in frontier:
            for child in sorted(graph[node] & component):
                if child == first:
                    path = [node]
                    while path[-1] != first:
                        path.append(came_from[path[-1]])
                    return [first, *reversed(path[:-1]), first] if len(path) > 1 else [first, node, first]
                if child not in came_from:
                    came_from[child] = node
                    following.append(child)
        frontier = following
    return sorted(component)


def test_no_two_modules_import_each_other():
    loops = cycles(import_graph(PACKAGE))
    assert not loops, "modules that import each other: " + "; ".join(" -> ".join(loop) for loop in loops)


def test_a_planted_cycle_is_found(tmp_path):
    """The check above can fail: a package where a imports b at module level, b imports c and c imports a
    (inside a try block, which still runs on import); d imports a, and e imports a only inside a function
    and for type checkers, neither of which runs on import."""
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("from pkg import a\n")
    (package / "a.py").write_text("from pkg.b import thing\n")
    (package / "b.py").write_text("from . import c\nthing = 1\n")
    (package / "c.py").write_text("try:\n    import pkg.a\nexcept ImportError:\n    pass\n")
    (package / "d.py").write_text("import pkg.a\n\ndef f():\n    from pkg import d\n")
    (package / "e.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import pkg.a\n\n"
                                  "def f():\n    from pkg.a import thing\n")
    graph = import_graph(package)
    assert graph == {"pkg": {"pkg.a"}, "pkg.a": {"pkg.b"}, "pkg.b": {"pkg.c"}, "pkg.c": {"pkg.a"},
                     "pkg.d": {"pkg.a"}, "pkg.e": set()}
    assert cycles(graph) == [["pkg.a", "pkg.b", "pkg.c", "pkg.a"]]
    assert import_graph(package, at_module_level=False)["pkg.e"] == {"pkg.a"}
    (package / "c.py").write_text("thing = 2\n")                  # the loop broken: nothing to report
    assert cycles(import_graph(package)) == []


def test_the_compiled_kernels_count_as_a_module():
    """``from mlplab import _fused`` names the C extension, not the package (which would be a loop)."""
    modules = module_names(PACKAGE)
    if not any(path.suffix in (".so", ".pyd") for path in PACKAGE.iterdir()):
        pytest.skip(reason="the C kernels are not built in this checkout (pip install -e . builds them)")
    assert "mlplab._fused" in modules
    assert "mlplab" not in import_graph(PACKAGE, at_module_level=False).get("mlplab.kernels", set())


def test_mlplab_modules_are_imported_at_the_top():
    """An mlplab module imported inside a function is an import edge the graph above cannot see, and a
    loop waiting to happen; move it to the top (and break a loop that appears, rather than hide it)."""
    inside = import_graph(PACKAGE, at_module_level=False)
    found = {_file(name): sorted(m for m in imported if (_file(name), m) not in BY_DESIGN)
             for name, imported in inside.items()}
    assert not {name: imported for name, imported in found.items() if imported}, \
        f"mlplab modules imported inside functions: {found}"


def required_imports_in_functions(root: Path) -> dict[str, set[str]]:
    """``file -> the top-level packages it imports inside functions`` that are neither :data:`OPTIONAL` nor
    mlplab's own (the test above judges those)."""
    found: dict[str, set[str]] = {}
    for path in sorted(root.rglob("*.py")):
        for function in ast.walk(ast.parse(path.read_text())):
            if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(function):
                if isinstance(node, ast.Import):
                    tops = {alias.name.split(".")[0] for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and not node.level:
                    tops = {(node.module or "").split(".")[0]}
                else:
                    continue
                bad = tops - set(OPTIONAL) - {root.name}
                if bad:
                    found.setdefault(path.relative_to(root).as_posix(), set()).update(bad)
    return found


def test_only_optional_dependencies_are_imported_inside_functions(tmp_path):
    """The standard library and the required dependencies (numpy, scikit-learn, threadpoolctl, ...) are
    imported at the top, where a reader looks for them; inside a function only :data:`OPTIONAL` ones."""
    found = required_imports_in_functions(PACKAGE)
    assert not found, f"required modules imported inside functions (move them to the top): {found}"
    planted = tmp_path / "pkg"                          # the check can fail
    planted.mkdir()
    (planted / "a.py").write_text("def f():\n    import json\n    import matplotlib.pyplot\n"
                                  "    from pkg import b\n    from numpy import linalg\n")
    assert required_imports_in_functions(planted) == {"a.py": {"json", "numpy"}}


def test_import_mlplab_loads_the_engine_and_run_on_first_use():
    """``import mlplab`` does not load the run machinery (mlplab.runs, run, report); ``ml.Run`` and
    ``ml.<module>`` load on first use, and a name that is neither is an AttributeError."""
    code = ("import sys, mlplab as ml; print(sorted(m for m in ('mlplab.runs', 'mlplab.run', 'mlplab.report') "
            "if m in sys.modules)); print(ml.Run.__module__, ml.report.__name__, 'Run' in dir(ml)); "
            "print(hasattr(ml, 'no_such_thing'))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:3] == ["[]", "mlplab.runs mlplab.report True", "False"]


def _file(module: str) -> str:
    path = module_names(PACKAGE)[module]
    return path.relative_to(PACKAGE).as_posix()


if __name__ == "__main__":         # print the loops and the function-level imports, for whoever breaks them
    for loop in cycles(import_graph(PACKAGE)):
        print("loop:", " -> ".join(loop))
    for name, imported in sorted(import_graph(PACKAGE, at_module_level=False).items()):
        if imported:
            print(f"{_file(name)}: {sorted(imported)}")

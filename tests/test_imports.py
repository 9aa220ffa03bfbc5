"""The engine stays headless, and torch is imported only when it is asked for."""

import ast
import subprocess
import sys
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

HEAVY = {"textual", "rich", "torch", "plotext"}


def _modules_after(code: str) -> set[str]:
    report = "import sys\nprint(' '.join({m.split('.')[0] for m in sys.modules}))"
    script = f"{code}\n{report}"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_importing_the_engine_loads_neither_the_ui_nor_torch():
    assert _modules_after("import nnbench.engine as ne") & HEAVY == set()


def test_numpy_backend_work_never_imports_torch():
    code = (
        "import nnbench.engine as ne\n"
        "x = ne.randn(4, 3, requires_grad=True)\n"
        "(x @ x.T).relu().softmax(1).sum().backward()\n"
        "ne.autograd.backward_steps\nrepr(x)"
    )
    assert "torch" not in _modules_after(code)


def test_the_torch_backend_imports_torch_when_asked():
    assert "torch" in _modules_after("import nnbench.engine as ne\nne.ones(2, device='torch:cpu')")


def test_the_command_line_entry_stays_light():
    assert _modules_after("import nnbench.tui.cli") & HEAVY == set()


# ---------------------------------------------------------------- library and workbench
ROOT = Path(__file__).resolve().parent.parent
ENGINE = ROOT / "engine"
# The one sanctioned link: `from nnbench.engine import Experiment` in experiment files is
# resolved on first use by the package's __getattr__, never at import time.
LAZY_EXPORT = (ENGINE / "__init__.py", "__getattr__")


def _imported_modules(path: Path) -> list[tuple[str, int, str | None]]:
    """(module, line, enclosing function) for every import statement in a file."""
    package = "nnbench.engine." + ".".join(path.relative_to(ENGINE).parent.parts)
    found = []

    def visit(node, function):
        for child in ast.iter_child_nodes(node):
            inside = child.name if isinstance(child, ast.FunctionDef) else function
            if isinstance(child, ast.Import):
                found.extend((a.name, child.lineno, function) for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    parent = package.rstrip(".").split(".")
                    parent = parent[: len(parent) - child.level + 1]
                    base = ".".join(parent + ([base] if base else []))
                found.extend((f"{base}.{a.name}", child.lineno, function) for a in child.names)
                found.append((base, child.lineno, function))
            visit(child, inside)

    visit(ast.parse(path.read_text()), None)
    return found


def _library_files() -> list[Path]:
    return [p for p in ENGINE.rglob("*.py") if "workbench" not in p.relative_to(ENGINE).parts]


def test_the_library_never_imports_the_workbench_or_the_app():
    offenders = []
    for path in _library_files():
        for module, line, function in _imported_modules(path):
            if (path, function) == LAZY_EXPORT:
                continue
            if module.startswith(("nnbench.engine.workbench", "nnbench.tui")):
                offenders.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    assert offenders == []


def test_using_the_library_loads_no_workbench_module():
    code = (
        "import nnbench.engine as ne\n"
        "from nnbench.engine import nn, optim, data\n"
        "m = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))\n"
        "opt = optim.Adam(m.parameters())\n"
        "loss = nn.CrossEntropyLoss()(m(ne.randn(5, 3)), ne.tensor([0, 1, 0, 1, 1]))\n"
        "loss.backward(); opt.step(); opt.zero_grad()\n"
        "import tempfile, os; ne.save(m.state_dict(), os.path.join(tempfile.mkdtemp(), 'm.pt'))\n"
        "with ne.trace() as t: ne.ones(2).exp()\n"
        "print(sorted(m for m in sys.modules if m.startswith('nnbench.engine.workbench')))"
    )
    script = f"import sys\n{code}"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_experiment_contract_is_still_importable_from_the_engine():
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "from nnbench.engine import Experiment; print(Experiment.__module__)",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "nnbench.engine.workbench.experiment"


def test_every_package_folder_is_listed_for_the_wheel():
    """A subpackage missing from pyproject's list is left out of `pip install .`."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    mapping = config["package-dir"]
    folders = set()
    for package, folder in mapping.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            parts = init.parent.relative_to(ROOT / folder).parts
            folders.add(".".join((package, *parts)))
    assert folders - listed == set()


# ---------------------------------------------------------------- the engine's layers
def _module_of(path: Path) -> str:
    parts = path.relative_to(ENGINE).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(("nnbench.engine", *parts))


def _import_edges(source: str, name: str, is_package: bool, modules: set[str]) -> set[str]:
    """The engine modules a file imports, anywhere in it (inside functions too: a late
    import still makes a cycle, only a hidden one). ``from X import y`` counts as X.y
    where that is a module, else as X; a dotted module brings in its packages too."""
    package = name if is_package else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            for a in node.names:
                found.add(f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base)
    edges = set()
    for module in found:
        parts = module.split(".")
        for i in range(2, len(parts) + 1):  # nnbench.engine.nn.module -> nn, nn.module
            target = ".".join(parts[:i])
            implicit = i < len(parts)
            ours = implicit and name.startswith(target + ".")  # a package we are part of
            if target in modules and target != name and not ours:
                edges.add(target)
    return edges


def _engine_import_graph() -> dict[str, set[str]]:
    paths = {_module_of(p): p for p in ENGINE.rglob("*.py")}
    return {
        name: _import_edges(path.read_text(), name, path.name == "__init__.py", set(paths))
        for name, path in paths.items()
    }


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state, path = {}, []

    def visit(node):
        state[node] = "open"
        path.append(node)
        for child in sorted(graph.get(node, ())):
            if state.get(child) == "open":
                return path[path.index(child) :] + [child]
            if child not in state:
                found = visit(child)
                if found:
                    return found
        state[node] = "done"
        path.pop()
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_the_engine_imports_form_layers_without_cycles():
    """tensor <-> creation, nn.module <-> interop and autograd's back-patched Tensor are
    gone: each module imports only modules below it (a package imports its parts)."""
    graph = _engine_import_graph()
    lazy = graph["nnbench.engine"] - {"nnbench.engine.workbench.experiment"}
    graph["nnbench.engine"] = lazy  # the one sanctioned late import (LAZY_EXPORT)
    assert _cycle(graph) is None


def test_the_import_graph_sees_late_and_package_imports():
    """A late `import nnbench.engine` in autograd is an edge up to the package: a cycle."""
    source = "def late():\n    import nnbench.engine as ne\n    from . import tensor\n"
    modules = {"nnbench.engine", "nnbench.engine.autograd", "nnbench.engine.tensor"}
    edges = _import_edges(source, "nnbench.engine.autograd", False, modules)
    assert edges == {"nnbench.engine", "nnbench.engine.tensor"}
    graph = _engine_import_graph()
    graph["nnbench.engine.autograd"] |= edges
    assert _cycle(graph) is not None


def test_the_library_never_imports_by_name_at_run_time():
    """importlib.import_module and __import__ would hide an edge from the graph above."""
    offenders = []
    for path in _library_files():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr == "import_module":
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
            if isinstance(node, ast.Name) and node.id == "__import__":
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


def test_the_cycle_finder_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None

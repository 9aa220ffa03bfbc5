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


def _engine_import_graph() -> dict[str, set[str]]:
    """module -> the engine modules it imports, anywhere in the file (inside functions
    too: a late import still makes a cycle, only a hidden one)."""
    modules = {_module_of(p): p for p in ENGINE.rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        found = set()
        for module, _, function in _imported_modules(path):
            if (path, function) == LAZY_EXPORT:
                continue
            if module in modules and module != name:
                found.add(module)
        # `from . import dtypes` names both the package and dtypes: keep the module only
        graph[name] = {m for m in found if not any(o.startswith(m + ".") for o in found)}
    return graph


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
    gone: each module imports only modules below it (packages may import their parts)."""
    graph = _engine_import_graph()
    for name in graph:  # a package importing its own submodules is not a cycle
        graph[name] = {m for m in graph[name] if not name.startswith(m + ".")}
    assert _cycle(graph) is None


def test_the_cycle_finder_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None

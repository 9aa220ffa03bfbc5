"""The engine stays headless, and torch is imported only when it is asked for."""

import subprocess
import sys

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

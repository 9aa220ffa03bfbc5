"""``ne.cuda`` and ``ne.device`` as tutorials use them, against PyTorch 2.13: truthful
answers on a machine without a GPU, devices made without one, the engine's error when a
tensor is put there. (Where a GPU exists the cuda functions are torch.cuda's.)"""

import subprocess
import sys

import pytest

import nnbench.engine as ne

from .against_torch import check_case, torch

NO_CUDA = not ne.cuda_status()[0]


def _unavailable(name):
    """The engine's message where torch raises (no GPU); None where both return."""
    if not NO_CUDA:
        return None
    return rf"cuda.{name}: no CUDA device can be used here: torch.cuda.is_available\(\) is False"


def _shown(dv):
    return [str(dv), repr(dv), dv.type, dv.index]


CUDA_CASES = [
    ("is_available", lambda m, d: m.cuda.is_available(), None),
    ("device_count", lambda m, d: m.cuda.device_count(), None),
    ("current_device", lambda m, d: m.cuda.current_device(), _unavailable("current_device")),
    ("get_device_name", lambda m, d: m.cuda.get_device_name(), _unavailable("get_device_name")),
    ("get_device_name_0", lambda m, d: m.cuda.get_device_name(0), _unavailable("get_device_name")),
    (
        "get_device_name_device",
        lambda m, d: m.cuda.get_device_name(m.device("cuda:0")),
        _unavailable("get_device_name"),
    ),
    ("synchronize", lambda m, d: m.cuda.synchronize(), _unavailable("synchronize")),
    ("manual_seed", lambda m, d: m.cuda.manual_seed(0), None),
    ("manual_seed_all", lambda m, d: m.cuda.manual_seed_all(1), None),
    ("empty_cache", lambda m, d: m.cuda.empty_cache(), None),
    (
        "manual_seed_text",
        lambda m, d: m.cuda.manual_seed("a"),
        r"cuda.manual_seed: the seed must be an int, but got 'a' \(str\); "
        r"e.g. ne.cuda.manual_seed\(0\)",
    ),
    (
        "manual_seed_none",
        lambda m, d: m.cuda.manual_seed_all(None),
        r"cuda.manual_seed_all: .*None",
    ),
]

DEVICE_CASES = [
    ("plain_cuda", lambda m, d: _shown(m.device("cuda")), None),
    ("cuda_1", lambda m, d: _shown(m.device("cuda:1")), None),
    ("cuda_and_index", lambda m, d: _shown(m.device("cuda", 1)), None),
    ("keywords", lambda m, d: _shown(m.device(type="cuda", index=2)), None),
    ("cpu", lambda m, d: _shown(m.device("cpu")), None),
    ("of_a_device", lambda m, d: _shown(m.device(m.device("cuda:1"))), None),
    ("of_a_torch_device", lambda m, d: _shown(m.device(torch.device("cuda:1"))), None),
    (
        "the_tutorial_line",
        lambda m, d: _shown(m.device("cuda" if m.cuda.is_available() else "cpu")),
        None,
    ),
    ("cuda_is_not_cuda_0", lambda m, d: m.device("cuda") == m.device("cuda:0"), None),
    ("cpu_is_cpu", lambda m, d: m.device("cpu") == m.device("cpu"), None),
    ("same_hash", lambda m, d: hash(m.device("cuda:1")) == hash(m.device("cuda:1")), None),
    (
        "negative_index_text",
        lambda m, d: m.device("cuda:-1"),
        r"unknown device 'cuda:-1': use 'cpu', 'cuda' or 'cuda:N'",
    ),
    ("bad_index_text", lambda m, d: m.device("cuda:x"), r"unknown device 'cuda:x'"),
    ("two_indices_text", lambda m, d: m.device("cuda:1:2"), r"unknown device 'cuda:1:2'"),
    ("unknown_type", lambda m, d: m.device("tpu"), r"unknown device 'tpu'"),
    (
        "negative_index",
        lambda m, d: m.device("cuda", -1),
        r"device: index must be an int >= 0, but got index=-1",
    ),
    (
        "index_twice",
        lambda m, d: m.device("cuda:0", 1),
        r"device: 'cuda:0' already names index 0, and index=1 was passed too; "
        r".*ne.device\('cuda', 1\)",
    ),
]


@pytest.mark.parametrize(
    ("name", "fn", "pattern"),
    CUDA_CASES + DEVICE_CASES,
    ids=[c[0] for c in CUDA_CASES + DEVICE_CASES],
)
def test_cuda_and_devices_match_pytorch(name, fn, pattern):
    check_case(fn, pattern)


def test_every_case_has_a_distinct_name():
    names = [c[0] for c in CUDA_CASES + DEVICE_CASES]
    assert len(names) == len(set(names))


@pytest.mark.skipif(not NO_CUDA, reason="CUDA is available here")
def test_without_a_gpu_the_functions_that_need_one_raise_assertion_errors():
    """torch raises AssertionError there; the engine's error is one, and a DeviceError."""
    for fn in (ne.cuda.current_device, ne.cuda.get_device_name, ne.cuda.synchronize):
        with pytest.raises(AssertionError) as caught:
            fn()
        assert isinstance(caught.value, ne.DeviceError)
        assert "if ne.cuda.is_available() else 'cpu'" in str(caught.value)


@pytest.mark.skipif(not NO_CUDA, reason="CUDA is available here")
def test_a_cuda_device_is_made_anywhere_and_refused_when_a_tensor_goes_there():
    cuda = ne.device("cuda")
    for place in (
        lambda: ne.ones(2, device=cuda),
        lambda: ne.tensor([1.0], device=ne.device("cuda:1")),
        lambda: ne.ones(2).to(cuda),
        lambda: ne.ones(2).to(torch.device("cuda")),
        lambda: ne.Tensor([1.0], device=cuda),
        lambda: ne.randperm(3, device=cuda),
        lambda: ne.nn.Linear(2, 2).to(cuda),
    ):
        with pytest.raises(ne.DeviceError, match=r"cannot use device 'cuda(:1)?': torch.cuda"):
            place()
    assert cuda.index is None and str(cuda) == "cuda"  # unchanged by the attempts


def test_devices_and_torch_devices_are_taken_wherever_a_device_is():
    cpu = torch.device("cpu")
    model = ne.nn.Linear(2, 1).to(cpu)
    for t in (
        ne.ones(2, device=cpu),
        ne.tensor([1.0], device=cpu),
        ne.Tensor([1.0], device=cpu),
        ne.randperm(3, device=cpu),
        ne.arange(3, device=ne.device("cpu")),
        ne.ones(2).to(cpu),
        ne.ones(2).to(device=cpu),
        model.weight,
    ):
        assert t.device is ne.device("cpu")
    assert ne.device(torch.device("cuda", 1)) is ne.device("cuda:1")


def test_an_int_is_a_cuda_index_as_on_a_machine_with_a_gpu():
    """torch.device(1) is the accelerator's device 1 (it raises where there is none)."""
    assert ne.device(1) is ne.device("cuda:1")


def test_a_device_passed_around_is_the_one_tensors_report():
    """``cuda:N`` made by ne.device is the device a tensor placed there reports."""
    assert ne.device("cuda:0") is ne.backends.new_device("cuda", 0)
    assert ne.device("torch:cpu").backend_name == "torch"
    assert ne.ones(1, device=ne.device("torch:cpu")).device is ne.device("torch:cpu")


@pytest.mark.cuda
def test_cuda_delegates_to_torch_where_a_gpu_exists():
    assert ne.cuda.is_available() and ne.cuda.device_count() == torch.cuda.device_count()
    assert ne.cuda.current_device() == torch.cuda.current_device()
    assert ne.cuda.get_device_name() == torch.cuda.get_device_name()
    assert ne.cuda.get_device_name(ne.device("cuda:0")) == torch.cuda.get_device_name(0)
    ne.cuda.synchronize()
    ne.cuda.manual_seed(0)
    ne.cuda.empty_cache()
    t = ne.ones(2, device=ne.device("cuda"))
    assert str(t.device) == f"cuda:{torch.cuda.current_device()}"
    assert t.device is ne.device(f"cuda:{torch.cuda.current_device()}")
    assert (t + ne.ones(2, device="cuda:0")).tolist() == [2.0, 2.0]


def test_none_of_it_imports_torch_until_asked():
    code = (
        "import sys\nimport nnbench.engine as ne\n"
        "from nnbench.engine.utils.data import DataLoader, TensorDataset\n"
        "ne.device('cuda'); ne.device('cuda:1'); ne.cuda\n"
        "DataLoader(TensorDataset(ne.randperm(4)), batch_size=2)\n"
        "before = 'torch' in sys.modules\n"
        "ne.cuda.is_available()\n"
        "print(before, 'torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]


def test_the_tutorials_device_lines_choose_as_torch_does():
    """The two ways tutorials choose a device, answered as torch answers on this machine."""
    for lib in (torch, ne):
        assert lib.backends.mps.is_available() is False

    def chosen(lib):
        if lib.cuda.is_available():
            return "cuda"
        return "mps" if lib.backends.mps.is_available() else "cpu"

    assert chosen(ne) == chosen(torch)
    assert ne.accelerator.is_available() == torch.accelerator.is_available()
    mine, theirs = ne.accelerator.current_accelerator(), torch.accelerator.current_accelerator()
    assert (mine is None) == (theirs is None)
    if theirs is not None:
        assert mine.type == theirs.type
    ne.backends.cudnn.benchmark = True  # a switch tutorials set: kept, read by nothing


@pytest.mark.skipif(torch.cuda.is_available(), reason="a GPU is here")
def test_a_tensor_put_on_cuda_without_one_raises_the_class_torch_raises():
    with pytest.raises(AssertionError) as theirs:
        torch.ones(2, device="cuda")
    with pytest.raises(AssertionError, match="cannot use device 'cuda'.*Stay on 'cpu'"):
        ne.ones(2, device="cuda")
    assert isinstance(theirs.value, AssertionError)

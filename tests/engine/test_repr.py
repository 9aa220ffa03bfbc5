"""repr(t) and print(t) read exactly as PyTorch 2.13 prints the same tensor."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import nnbench.engine as ne

NAN, INF = float("nan"), float("inf")
RNG = np.random.default_rng(0)


def _random(*shape, scale=1.0, dtype="float32"):
    return (RNG.standard_normal(shape) * scale).astype(dtype)


def _ints(*shape, low=-50, high=50, dtype="int64"):
    return RNG.integers(low, high, shape).astype(dtype)


# name -> numpy values; each is made into an engine tensor and a torch tensor.
VALUES = {
    "0-d": np.array(3.25, dtype="float32"),
    "0-d int": np.array(7),
    "0-d nan": np.array(NAN, dtype="float32"),
    "0-d tiny": np.array(1e-8),
    "0-d bool": np.array(True),
    "empty": np.zeros(0, dtype="float32"),
    "empty int": np.zeros(0, dtype="int64"),
    "empty bool": np.zeros(0, dtype=bool),
    "empty float64": np.zeros(0, dtype="float64"),
    "empty 0x3": np.zeros((0, 3), dtype="float32"),
    "empty 3x0 int": np.zeros((3, 0), dtype="int64"),
    "empty 2x0x3 float16": np.zeros((2, 0, 3), dtype="float16"),
    "one": np.array([0.5], dtype="float32"),
    "five": _random(5),
    "tutorial softmax": np.array([[0.0900, 0.2447, 0.6652]], dtype="float32"),
    "2x3": _random(2, 3),
    "2x3x4": _random(2, 3, 4),
    "4-d": _random(2, 1, 2, 3),
    "1x1x1x1": np.ones((1, 1, 1, 1), dtype="float32"),
    "long row wraps": _random(40),
    "1001 summarised": _random(1001),
    "1000 not summarised": _random(1000),
    "30x40 summarised": _random(30, 40),
    "2x2x300 summarised": _random(2, 2, 300),
    "10x10x11 summarised": _random(10, 10, 11),
    "2000x2 short rows": _random(2000, 2),
    "3x400 wraps": _random(3, 400) * 100,
    "integer floats": np.array([1.0, 2.0, -3.0], dtype="float32"),
    "integer floats 2x2": np.array([[1.0, 20.0], [300.0, -4.0]], dtype="float32"),
    "integer floats large": np.array([1.0, 1e9], dtype="float32"),
    "integer floats span": np.array([1.0, 5000.0], dtype="float32"),
    "integer float 1e10": np.array([1e10], dtype="float64"),
    "arange 2000.": np.arange(2000, dtype="float32"),
    "zeros": np.zeros((2, 3), dtype="float32"),
    "negative zero": np.array([0.0, -0.0], dtype="float32"),
    "negative zero mixed": np.array([-0.0, 1.5, 2.25], dtype="float32"),
    "nan": np.array([NAN, 1.5, -2.0], dtype="float32"),
    "nan only": np.array([NAN, NAN], dtype="float32"),
    "inf": np.array([INF, -INF, 1.0], dtype="float32"),
    "inf with fractions": np.array([INF, 0.25], dtype="float64"),
    "nan tiny": np.array([NAN, 1e-8], dtype="float32"),
    "negatives": -np.abs(_random(3, 3)),
    "span just 1000": np.array([1.0, 1000.0, 2.5], dtype="float32"),
    "span 1000 fractions": np.array([0.5, 500.0, 0.75], dtype="float32"),
    "span above 1000": np.array([1.0, 1000.5, 0.5], dtype="float32"),
    "below 1e-4": np.array([1e-4, 0.5], dtype="float32"),
    "at 1e-4 float64": np.array([1e-4, 0.05]),
    "above 1e8": np.array([1.5e8, 1e8], dtype="float64"),
    "mixed 1e-8..1e8": np.array([1e-8, 1e-4, 1.0, 1e4, 1e8], dtype="float32"),
    "big and small 2x2": np.array([[1e-6, 2.0], [3e5, -4e-3]], dtype="float64"),
    "rounds to 10": np.array([9.99995, 0.1], dtype="float64"),
    "float16": _random(2, 3, dtype="float16"),
    "float16 big": np.array([65504.0, 0.1, -3.0], dtype="float16"),
    "float64": _random(3, 2, dtype="float64"),
    "float64 tiny": _random(4, scale=1e-7, dtype="float64"),
    "int8": _ints(2, 3, dtype="int8"),
    "int16": _ints(4, dtype="int16"),
    "int32": _ints(3, dtype="int32"),
    "int64": _ints(2, 5),
    "int64 wide": np.array([10**12, -5, 3]),
    "int64 long row": _ints(60, low=-2000, high=2000),
    "int64 summarised": np.arange(5000).reshape(50, 100),
    "uint8": _ints(2, 4, low=0, high=255, dtype="uint8"),
    "bool": np.array([True, False, True]),
    "bool 2x2": np.array([[True, False], [False, False]]),
    "bool summarised": RNG.random(1500) > 0.5,
}
for _k in range(-8, 9, 2):
    VALUES[f"randn x 1e{_k}"] = _random(2, 4, scale=10.0**_k)
    VALUES[f"randn x 1e{_k} float64"] = _random(5, scale=10.0**_k, dtype="float64")


def _pair(values, requires_grad=False):
    return (
        ne.tensor(values, requires_grad=requires_grad),
        torch.tensor(values, requires_grad=requires_grad),
    )


def _same(ours, theirs):
    assert repr(ours) == repr(theirs), f"\nengine:\n{ours!r}\ntorch:\n{theirs!r}"
    assert str(ours) == str(theirs)


@pytest.fixture(autouse=True)
def _default_options():
    yield
    for library in (ne, torch):
        library.set_printoptions(profile="default")


@pytest.mark.parametrize("name", VALUES)
def test_values_print_as_torch_prints_them(name):
    _same(*_pair(VALUES[name]))


GRAD_VALUES = [n for n, v in VALUES.items() if v.dtype.kind == "f" and v.size]


@pytest.mark.parametrize("name", GRAD_VALUES)
def test_leaves_that_require_grad_say_so(name):
    _same(*_pair(VALUES[name], requires_grad=True))


RESULTS = {
    "mul": lambda x: x * 2,
    "add": lambda x: x + 1,
    "sum": lambda x: x.sum(),
    "mean": lambda x: x.mean(),
    "relu": lambda x: x.relu(),
    "exp": lambda x: x.exp(),
    "select": lambda x: x[0],
    "matmul": lambda x: x @ x.T,
    "reshape": lambda x: x.reshape(-1),
    "to float64 (dtype and grad_fn)": lambda x: x.double() * 3,
    "softmax": lambda x: x.softmax(-1),
}


@pytest.mark.parametrize("shape", [(3,), (2, 3), (9,), (4, 9), (40, 40)])
@pytest.mark.parametrize("op", RESULTS)
def test_results_name_their_grad_fn(op, shape):
    values = _random(*shape)
    if op == "matmul" and len(shape) == 1:
        values = values.reshape(1, -1)
    ours, theirs = _pair(values, requires_grad=True)
    _same(RESULTS[op](ours), RESULTS[op](theirs))


@pytest.mark.parametrize("n", [5, 6, 7, 8, 9, 10, 11, 12])
def test_suffixes_move_to_a_new_line_where_torch_moves_them(n):
    values = _random(n, scale=100, dtype="float64")
    ours, theirs = _pair(values, requires_grad=True)
    _same(ours, theirs)
    _same(ours * 2, theirs * 2)
    _same(ours.to(ne.float16), theirs.to(torch.float16))  # ToCopyBackward0, dtype


OPTIONS = [
    {"precision": 2},
    {"precision": 0},
    {"precision": 8},
    {"threshold": 5},
    {"threshold": 5, "edgeitems": 1},
    {"edgeitems": 1},
    {"edgeitems": 0},
    {"threshold": 5, "edgeitems": 0},
    {"linewidth": 40},
    {"linewidth": 200},
    {"linewidth": 5},
    {"sci_mode": True},
    {"sci_mode": False},
    {"profile": "short"},
    {"profile": "full"},
    {"profile": "full", "precision": 3},
]
OPTION_VALUES = [
    "five",
    "2x3x4",
    "long row wraps",
    "1001 summarised",
    "30x40 summarised",
    "integer floats",
    "mixed 1e-8..1e8",
    "int64 long row",
    "bool",
    "nan",
    "zeros",
    "empty 0x3",
    "0-d",
    "float64 tiny",
]


@pytest.mark.parametrize("options", OPTIONS, ids=str)
def test_print_options_mean_what_they_mean_in_torch(options):
    ne.set_printoptions(**options)
    torch.set_printoptions(**options)
    assert ne.get_printoptions() == torch._tensor_str.get_printoptions()
    for name in OPTION_VALUES:
        _same(*_pair(VALUES[name]))
    ours, theirs = _pair(VALUES["2x3"], requires_grad=True)
    _same(ours * 2, theirs * 2)


def test_each_call_of_set_printoptions_resets_sci_mode_as_torch_does():
    for library in (ne, torch):
        library.set_printoptions(sci_mode=True)
        library.set_printoptions(precision=3)
    assert ne.get_printoptions() == torch._tensor_str.get_printoptions()
    assert ne.get_printoptions()["sci_mode"] is None


def test_printoptions_holds_for_a_with_block_only():
    with ne.formatting.printoptions(precision=1):
        assert repr(ne.tensor([0.25, 1.5])) == "tensor([0.2, 1.5])"
    assert repr(ne.tensor([0.25, 1.5])) == "tensor([0.2500, 1.5000])"


def test_an_unknown_profile_names_the_known_ones():
    with pytest.raises(ValueError, match="'default', 'short', 'full'"):
        ne.set_printoptions(profile="ful")


def test_parameters_print_as_torch_parameters():
    values = _random(2, 3)
    ours = ne.nn.Parameter(ne.tensor(values))
    theirs = torch.nn.Parameter(torch.tensor(values))
    _same(ours, theirs)
    ours = ne.nn.Parameter(ne.tensor(values), requires_grad=False)
    theirs = torch.nn.Parameter(torch.tensor(values), requires_grad=False)
    _same(ours, theirs)
    layer = ne.nn.Linear(3, 2)
    assert repr(layer.bias).startswith("Parameter containing:\ntensor([")


def test_a_tensor_on_the_torch_backend_prints_as_a_cpu_tensor():
    values = _random(2, 3)
    ours = ne.tensor(values, device="torch:cpu", requires_grad=True)
    _same(ours * 2, torch.tensor(values, requires_grad=True) * 2)
    _same(ne.tensor([1, 2], device="torch:cpu", dtype=ne.int32), torch.tensor([1, 2]).int())


def test_the_device_comes_first_for_a_cuda_tensor_even_without_a_gpu():
    # A cuda Device whose arrays are CPU torch tensors: the strings are torch's on a GPU.
    cuda = ne.Device("cuda", 0, "torch")
    leaf = ne.Tensor.wrap(torch.tensor([1.0, 2.0], dtype=torch.float64), cuda, True)
    assert repr(leaf) == (
        "tensor([1., 2.], device='cuda:0', dtype=torch.float64, requires_grad=True)"
    )
    empty = ne.Tensor.wrap(torch.zeros(0, 3, dtype=torch.int64), cuda)
    assert repr(empty) == "tensor([], device='cuda:0', size=(0, 3), dtype=torch.int64)"


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_a_cuda_tensor_names_its_device():
    values = _random(2, 3)
    ours = ne.tensor(values, device="cuda", requires_grad=True)
    theirs = torch.tensor(values, device="cuda", requires_grad=True)
    _same(ours, theirs)
    _same(ours * 2, theirs * 2)
    _same(ne.zeros(0, 3, device="cuda", dtype=ne.int64), torch.zeros(0, 3, device="cuda").long())
    assert "device='cuda:0'" in repr(ours)


def test_a_format_spec_still_formats_one_number():
    assert f"{ne.tensor(0.123456):.2f}" == f"{torch.tensor(0.123456):.2f}"
    assert f"{ne.tensor([1.5, 2.0])}" == f"{torch.tensor([1.5, 2.0])}"


DTYPES = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"]
SPECIALS = [NAN, INF, -INF, 0.0, -0.0, 1.0, 1e-5, 1e9, 123.456]


@st.composite
def _values_and_options(draw):
    shape = tuple(draw(st.lists(st.sampled_from([0, 1, 2, 3, 7, 40]), max_size=4)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    values = rng.standard_normal(shape) * 10.0 ** draw(st.integers(-9, 9))
    if draw(st.booleans()):
        values = np.round(values)
    if values.size and draw(st.booleans()):
        values.reshape(-1)[:: draw(st.integers(1, 5))] = draw(st.sampled_from(SPECIALS))
    options = {
        "precision": draw(st.integers(0, 6)),
        "threshold": draw(st.sampled_from([1, 5, 50, 1000])),
        "edgeitems": draw(st.integers(0, 4)),
        "linewidth": draw(st.sampled_from([1, 20, 80, 120])),
        "sci_mode": draw(st.sampled_from([None, True, False])),
    }
    return values, draw(st.sampled_from(DTYPES)), options


def _as(values, dtype):
    """As an array: numpy makes 0-d results scalars, which ne.tensor reads as Python numbers."""
    return np.asarray(_cast(values, dtype))


def _cast(values, dtype):
    if dtype == "bool":
        return values > 0
    if dtype.startswith("float"):
        with np.errstate(over="ignore"):
            return values.astype(dtype)
    info = np.iinfo(dtype)
    return np.clip(np.nan_to_num(values), info.min, info.max).astype(dtype)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(_values_and_options())
def test_any_values_with_any_options_print_as_in_torch(case):
    values, dtype, options = case
    for library in (ne, torch):
        library.set_printoptions(**options)
    try:
        _same(*_pair(_as(values, dtype)))
    finally:
        for library in (ne, torch):
            library.set_printoptions(profile="default")

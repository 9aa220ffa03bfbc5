"""Shape and indexing ops against torch: views, dtypes, keywords and errors the op table
can't express (engine/shaping.py)."""

import numpy as np
import pytest
import torch

import nnbench.engine as ne
from nnbench.engine.errors import DTypeError, ShapeError


def _pair(shape=(3, 4), dtype="float32"):
    x = np.arange(int(np.prod(shape)), dtype=dtype).reshape(shape)
    return ne.tensor(x), torch.tensor(x)


@pytest.mark.parametrize(
    "fn",
    [
        lambda m, t: t.diagonal(),
        lambda m, t: t.narrow(1, 1, 2),
        lambda m, t: t.movedim(0, 1),
        lambda m, t: t.swapaxes(0, 1),
        lambda m, t: t.unfold(1, 2, 1),
        lambda m, t: t.split(2)[1],
        lambda m, t: t.chunk(2, 1)[0],
        lambda m, t: t.unbind(0)[2],
        lambda m, t: t.unflatten(1, (2, 2)),
    ],
)
def test_views_write_through_to_the_base_as_in_torch(fn):
    e, t = _pair()
    fn(ne, e).fill_(-1.0)
    fn(torch, t).fill_(-1.0)
    np.testing.assert_array_equal(e.numpy(), t.numpy())


@pytest.mark.parametrize("fn", [lambda t: t.flip(0), lambda t: t.roll(1), lambda t: t.repeat(1, 1)])
def test_copies_leave_the_base_alone(fn):
    e, t = _pair()
    fn(e).fill_(-1.0)
    assert (e.numpy() >= 0).all()


def test_a_view_changed_in_place_sends_gradients_through_the_change():
    a = ne.tensor(np.ones((3, 3)), requires_grad=True)
    ta = torch.ones(3, 3, dtype=torch.float64, requires_grad=True)
    for x in (a, ta):
        y = x * 2
        y.diagonal().mul_(3)
        (y * y).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy())


@pytest.mark.parametrize("dtype", ["int64", "int32", "bool"])
def test_integer_and_bool_tensors_keep_their_dtype(dtype):
    x = np.arange(12).reshape(3, 4).astype(dtype)
    e, t = ne.tensor(x), torch.tensor(x)
    for fn in (
        lambda m, v: v.flip(1),
        lambda m, v: v.roll(2),
        lambda m, v: v.repeat(2, 1),
        lambda m, v: m.diag(v),
        lambda m, v: v.index_select(1, m.tensor([0, 3])),
        lambda m, v: m.nn.functional.pad(v, (1, 1)) if dtype != "bool" else v.t(),
    ):
        ours, theirs = fn(ne, e), fn(torch, t)
        assert ours.dtype.name == str(theirs.dtype).removeprefix("torch."), fn
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_einsum_promotes_and_matches_torch_on_mixed_dtypes():
    a = np.arange(6.0).reshape(2, 3)
    b = np.arange(3)
    ours = ne.einsum("ij,j->i", ne.tensor(a, dtype=ne.float64), ne.tensor(b))
    theirs = torch.einsum("ij,j->i", torch.tensor(a), torch.tensor(b).double())
    assert ours.dtype is ne.float64
    np.testing.assert_allclose(ours.numpy(), theirs.numpy())


def test_where_with_one_argument_is_nonzero_as_tuple():
    x = np.array([[1.0, 0.0], [0.0, 2.0]])
    ours, theirs = ne.where(ne.tensor(x) > 0), torch.where(torch.tensor(x) > 0)
    assert len(ours) == len(theirs)
    for o, t in zip(ours, theirs):
        np.testing.assert_array_equal(o.numpy(), t.numpy())


def test_grad_fn_names_are_torchs():
    x = ne.randn(3, 4, requires_grad=True)
    assert type(x.flip(0).grad_fn).__name__ == "Flip"
    assert x.flip(0).grad_fn.name() == "FlipBackward0"
    assert x.split([1, 3], 1)[0].grad_fn.name() == "SplitWithSizesBackward0"
    assert x.chunk(2)[0].grad_fn.name() == "SplitBackward0"
    assert x.unbind()[0].grad_fn.name() == "UnbindBackward0"
    assert x.narrow(0, 0, 1).grad_fn.name() == "SliceBackward0"
    assert ne.diag(x).grad_fn.name() == "DiagonalBackward0_copy"
    assert ne.bmm(x[None], x.t()[None]).grad_fn.name() == "BmmBackward0"


@pytest.mark.parametrize(
    ("call", "error", "words"),
    [
        (lambda x: ne.einsum("ij,jk->ik", x), ShapeError, ["einsum", "2 operand", "1 were given"]),
        (lambda x: ne.einsum("ijk", x), ShapeError, ["einsum", "'ijk'", "(3, 4)"]),
        (lambda x: ne.einsum("ij,ij->i", x, x.t()), ShapeError, ["einsum", "'i'", "3 and 4"]),
        (lambda x: ne.einsum("ij->ik", x), ShapeError, ["einsum", "'k'"]),
        (lambda x: x.split([1, 1]), ShapeError, ["split", "sum to 2", "size 3", "(3, 4)"]),
        (lambda x: x.narrow(1, 3, 2), ShapeError, ["narrow", "start (3) + length (2)"]),
        (lambda x: x.unfold(1, 5, 1), ShapeError, ["unfold", "size 5", "(3, 4)"]),
        (lambda x: x.repeat(2), ShapeError, ["repeat", "2 dims", "t.repeat(1, 1)"]),
        (lambda x: x.diagonal(0, 1, 1), ShapeError, ["diagonal", "must differ"]),
        (lambda x: x.chunk(0), ShapeError, ["chunk", "greater than 0"]),
        (lambda x: x.roll((1, 2), 0), ShapeError, ["roll", "same length"]),
        (lambda x: x.index_select(0, ne.tensor([3])), IndexError, ["index_select", "0..2"]),
        (lambda x: x.index_select(0, ne.tensor([0.0])), DTypeError, ["index_select", "int64"]),
        (lambda x: x.masked_select(x), DTypeError, ["masked_select", "bool"]),
        (lambda x: ne.nn.functional.pad(x, (1,)), ShapeError, ["pad", "even"]),
        (lambda x: ne.nn.functional.pad(x, (-3, -2)), ShapeError, ["pad", "leaves size -1"]),
        (lambda x: ne.bmm(x, x), ShapeError, ["bmm", "3-d", "(3, 4)"]),
        (lambda x: ne.outer(x, x), ShapeError, ["outer", "1-d", "reshape(-1)"]),
        (lambda x: x.scatter(0, ne.tensor([[0, 1, 5]]), 1.0), IndexError, ["scatter", "0..2"]),
        (lambda x: x.unflatten(1, (3, 2)), ShapeError, ["unflatten", "(3, 2)", "4"]),
        (lambda x: ne.meshgrid(x, x), ShapeError, ["meshgrid", "1-d", "tensor 0"]),
    ],
)
def test_errors_name_the_op_the_shapes_and_a_fix(call, error, words):
    x = ne.randn(3, 4)
    with pytest.raises(error) as caught:
        call(x)
    for w in words:
        assert w in str(caught.value), (w, str(caught.value))


def test_empty_and_0d_inputs_match_torch():
    for fn in (
        lambda m, v: v.flip(0),
        lambda m, v: v.roll(1),
        lambda m, v: v.repeat(2),
        lambda m, v: v.split(2),
        lambda m, v: m.nn.functional.pad(v, (1, 0)),
    ):
        for shape in ((0,), ()):
            x = np.zeros(shape, np.float32)
            try:
                theirs = fn(torch, torch.tensor(x))
            except RuntimeError:
                with pytest.raises(RuntimeError):
                    fn(ne, ne.tensor(x))
                continue
            ours = fn(ne, ne.tensor(x))
            ours = ours if isinstance(ours, tuple) else (ours,)
            theirs = theirs if isinstance(theirs, tuple) else (theirs,)
            assert [tuple(o.shape) for o in ours] == [tuple(t.shape) for t in theirs]

"""Writing into tensors: fill, zero, copy, index_put and CopySlices (in-place ops' nodes)."""

from __future__ import annotations

from ..autograd import Function
from ..dtypes import of_array as _engine_dtype


# ----------------------------------------------------------------------------- writing
# In-place ops (a.add_(b), a[key] = v) run the ops above with the result written into a
# (tensor.py's apply(..., into=a)); these are the ops that only write.
class Fill(Function):
    """a.fill_(value): every element becomes value, so nothing flows back to a."""

    op, grad_name = "fill", "FillBackward0"
    rules = ("0 * grad",)
    torch = "a.clone().fill_(value)"

    def forward(self, a, value):
        return self.xp.full(tuple(a.shape), value, _engine_dtype(a))

    def backward(self, grad):
        return (grad * 0,)


class Zero(Fill):
    """a.zero_()."""

    op, grad_name = "zero", "ZeroBackward0"
    torch = "a.clone().zero_()"

    def forward(self, a):
        return self.xp.zeros(tuple(a.shape), _engine_dtype(a))


class Copy(Function):
    """a.copy_(src): src, broadcast to a's shape in a's dtype, replaces a."""

    op, grad_name = "copy", "CopyBackwards"
    inputs = ("a", "src")
    rules = ("0 * grad", "cast(grad, src_dtype)")
    torch = "a.clone().copy_(src)"

    def forward(self, a, src):
        self.src_dtype = _engine_dtype(src)
        return self.xp.copy(self.xp.broadcast_to(self.xp.astype(src, _engine_dtype(a)), a.shape))

    def backward(self, grad):
        return grad * 0, self.xp.astype(grad, self.src_dtype)

    def named_values(self):
        return {"src_dtype": self.src_dtype}


class IndexPut(Function):
    """a[key] = value with an index tensor or a mask in key (PyTorch's index_put_)."""

    op, grad_name = "index_put", "IndexPutBackward0"
    inputs = ("a", "value")
    rules = ("index_put(grad, key, 0)", "grad[key]")
    torch = "setitem(a, key, value)"

    def forward(self, a, value, key):
        self.key = key
        out = self.xp.copy(a)
        out[key] = value
        return out

    def backward(self, grad):
        grad_a = self.xp.copy(grad)
        grad_a[self.key] = 0
        return grad_a, grad[self.key]

    def named_values(self):
        return {"key": self.key}


class CopySlices(Function):
    """An in-place change through a view, seen from the view's base: the region the view
    covers is replaced by the view's new value. Its backward splits the gradient: the
    region goes to the new value (and on through the op that changed it), the rest to
    the base as it was."""

    op, grad_name = "copy_slices", "CopySlices"
    inputs = ("base", "value")
    rules = ("outside(grad, view)", "inside(grad, view)")
    torch = "copy_slices(base, view, value)"

    def forward(self, base, value, view):
        self.view = view
        out = self.xp.copy(base)
        view.region(out, self.xp)[...] = value
        return out

    def backward(self, grad):
        grad_base = self.xp.copy(grad)
        self.view.region(grad_base, self.xp)[...] = 0
        return grad_base, self.xp.copy(self.view.region(grad, self.xp))

    def named_values(self):
        return {"view": self.view}

"""Linear algebra: matmul in all its kinds."""

from __future__ import annotations

from ..autograd import Function


# ----------------------------------------------------------------------------- linear algebra
class MatMul(Function):
    """a @ b with numpy's rules: 1-D operands are promoted, batch dims broadcast.

    The rule depends on the operands' dims, as PyTorch's node name does: matrices (Mm),
    stacks of matrices (Bmm), two vectors (Dot), a matrix and a vector (Mv) or the other
    way round; ``outer`` and ``mv`` are the vector products, stacked where needed.
    """

    op, grad_name = "matmul", "MmBackward0"
    rules = ("grad @ b.T", "a.T @ grad")
    torch = "a @ b"

    def forward(self, a, b):
        self.save(a, b)
        self.grad_name, self.rules = _matmul_kind(a.ndim, b.ndim)
        return self.xp.matmul(a, b)

    def backward(self, grad):
        xp = self.xp
        a, b = self.saved
        needs_a, needs_b = self.needs_input_grad
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        if b.ndim == 1:  # restore the dims that 1-D operands lost, b's first
            grad = grad[..., None]
        if a.ndim == 1:
            grad = grad[..., None, :]
        grad_a = grad_b = None
        if needs_a:
            grad_a = xp.matmul(grad, xp.matrix_transpose(b2))
            if a.ndim == 1:
                grad_a = grad_a[..., 0, :]
        if needs_b:
            if b.ndim == 2 and grad.ndim == 2 and xp.is_transposed(b):
                # b is a .T view (Linear's W.T): build its gradient in W's own layout
                grad_b = xp.matrix_transpose(xp.matmul(xp.matrix_transpose(grad), a2))
            else:
                grad_b = xp.matmul(xp.matrix_transpose(a2), grad)
            if b.ndim == 1:
                grad_b = grad_b[..., 0]
        return grad_a, grad_b


def _matmul_kind(a_ndim: int, b_ndim: int) -> tuple[str, tuple[str, str]]:
    """PyTorch's node name for a @ b, and the rules for those dims."""
    if a_ndim == 1 and b_ndim == 1:
        return "DotBackward0", ("grad * b", "grad * a")
    batched = a_ndim > 2 or b_ndim > 2
    name = "BmmBackward0" if batched else ("MvBackward0" if b_ndim == 1 else "MmBackward0")
    if b_ndim == 1:
        return name, ("outer(grad, b)", "mv(a.mT, grad)")
    if a_ndim == 1:
        return name, ("mv(b, grad)", "outer(a, grad)")
    if batched:
        return name, ("grad @ b.mT", "a.mT @ grad")
    return name, ("grad @ b.T", "a.T @ grad")

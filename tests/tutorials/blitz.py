"""Lessons following the PyTorch blitz: a two-layer network trained with a backward pass
written by hand (no autograd, no bias), and the ReLU gradient as a loop and as a mask.
"""

from .transcript import draw

N, D_IN, H, D_OUT = 64, 100, 20, 10


def _net(torch, device, dtype):
    x = torch.tensor(draw(60, N, D_IN), device=device, dtype=dtype)
    y = torch.tensor(draw(61, N, D_OUT), device=device, dtype=dtype)
    w1 = torch.tensor(draw(62, D_IN, H), device=device, dtype=dtype)
    w2 = torch.tensor(draw(63, H, D_OUT), device=device, dtype=dtype)
    return x, y, w1, w2


def lesson_dtype_and_device_up_front(lib, show):
    torch = lib.torch
    dtype = torch.float
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    show(dtype, dtype == torch.float32, device, device.type)
    x = torch.randn(N, D_IN, device=device, dtype=dtype)
    show(x.shape, x.dtype, x.device)
    show(torch.randn(2, 2, dtype=torch.float64).dtype, torch.zeros(2, device=device).device)


def lesson_two_layer_net_backward_by_hand(lib, show):
    torch = lib.torch
    dtype, device = torch.float, torch.device("cpu")
    x, y, w1, w2 = _net(torch, device, dtype)
    learning_rate = 1e-5
    for t in range(50):
        h = x.mm(w1)
        h_relu = h.clamp(min=0)
        y_pred = h_relu.mm(w2)
        loss = (y_pred - y).pow(2).sum().item()
        if t % 10 == 0:
            show(t, f"{loss:.2f}")
        # the chain rule, by hand, from the loss back to w1
        grad_y_pred = 2.0 * (y_pred - y)
        grad_w2 = h_relu.t().mm(grad_y_pred)
        grad_h_relu = grad_y_pred.mm(w2.t())
        grad_h = grad_h_relu.clone()
        grad_h[h < 0] = 0
        grad_w1 = x.t().mm(grad_h)
        w1 -= learning_rate * grad_w1
        w2 -= learning_rate * grad_w2
    show(type(loss).__name__, w2[0])
    show.raises("x.mm(w2): (64, 100) by (20, 10)", lambda: x.mm(w2))
    show.raises("mm of a 1-d tensor", lambda: x[0].mm(w1))


def lesson_hand_backward_matches_autograd(lib, show):
    torch = lib.torch
    x, y, w1_start, w2_start = _net(torch, "cpu", torch.float)
    w1 = w1_start.clone().requires_grad_(True)
    w2 = w2_start.clone().requires_grad_(True)
    h = x.mm(w1)
    h_relu = h.clamp(min=0)
    y_pred = h_relu.mm(w2)
    loss = (y_pred - y).pow(2).sum()
    show(loss.grad_fn, h_relu.grad_fn, y_pred.grad_fn, w2.t().grad_fn)
    loss.backward()
    with torch.no_grad():
        grad_y_pred = 2.0 * (y_pred - y)
        grad_w2 = h_relu.t().mm(grad_y_pred)
        grad_h = grad_y_pred.mm(w2.t())
        grad_h[h < 0] = 0
        grad_w1 = x.t().mm(grad_h)
    show(torch.allclose(grad_w1, w1.grad, rtol=1e-4), torch.allclose(grad_w2, w2.grad, rtol=1e-4))
    show(w2.grad[0, :4])


def lesson_relu_gradient_loop_and_mask(lib, show):
    torch = lib.torch
    x = torch.tensor([[-1.5], [0.0], [2.0], [-0.1], [3.0]])
    n = x.shape[0]
    # one element at a time
    dx_loop = torch.zeros(n, 1)
    for i in range(n):
        dx_loop[i] = 1.0 if x[i] > 0 else 0
    # every element at once: ones, then zero where the input is negative
    dx_mask = torch.ones(size=(n, 1))
    dx_mask[x < 0] = 0
    show(dx_loop.flatten(), dx_mask.flatten())
    # they disagree only at 0, where the derivative is undefined; autograd picks 0
    show(torch.equal(dx_loop, dx_mask), (dx_loop != dx_mask).nonzero())
    x.requires_grad_(True)
    x.relu().sum().backward()
    show(x.grad.flatten(), torch.equal(x.grad, dx_loop))
    show((x > 0).float().flatten(), (x < 0).sum(), (x < 0).dtype)
    show.raises("if on a tensor of 5 truth values", lambda: bool(x > 0))

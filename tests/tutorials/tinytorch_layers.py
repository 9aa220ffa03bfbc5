"""Lessons following the TinyTorch layers module: what nn.Module registers (and what it
does not), matrix multiplication's cases, a Dense layer that keeps its weights as
[in, out], gradients through it, and how much memory layers take.
"""

import numpy as np

from .transcript import draw


def lesson_module_registers_parameters_and_children(lib, show):
    torch, nn = lib.torch, lib.nn

    class MLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.layer1 = nn.Linear(4, 3)
            self.layer2 = nn.Linear(3, 2)
            self.scale = nn.Parameter(torch.ones(1))
            self.loose = torch.zeros(2, requires_grad=True)  # a plain tensor: not a parameter

        def forward(self, x):
            return self.layer2(self.layer1(x)) * self.scale

    model = MLP()
    show([name for name, _ in model.named_parameters()])
    show(len(list(model.parameters())), [name for name, _ in model.named_children()])
    show([name for name, _ in model.named_modules()])
    x = torch.ones(5, 4)
    show(model(x).shape, torch.equal(model(x), model.forward(x)))
    show(type(model.scale).__name__, model.scale.requires_grad, model.loose.requires_grad)
    show.raises("forward of a bare Module", lambda: nn.Module()(x))

    class TooEarly(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(torch.ones(2))
            super().__init__()

    show.raises("a parameter before super().__init__()", TooEarly)


def lesson_matrix_multiplication_cases(lib, show):
    torch = lib.torch
    a = torch.Tensor([[1, 2], [3, 4]])
    b = torch.Tensor([[5, 6], [7, 8]])
    result = torch.matmul(a, b)
    show(a.dtype, result)
    show(np.allclose(result, np.array([[19, 22], [43, 50]])))
    non_square = torch.tensor([[1, 2, 3], [4, 5, 6]]) @ torch.tensor([[7, 8], [9, 10], [11, 12]])
    show(non_square, non_square.dtype)
    row_times_column = torch.tensor([[1, 2, 3]]) @ torch.tensor([[4], [5], [6]])
    show(row_times_column, row_times_column.shape)
    show(
        torch.tensor([[5]]) @ torch.tensor([[3]]),
        (torch.tensor([[5]]) @ torch.tensor([[3]]))[0, 0] == 15,
    )
    identity = torch.eye(2)
    m = torch.tensor([[2.0, 3.0], [4.0, 5.0]])
    show(torch.equal(m @ identity, m), identity)
    show(
        torch.tensor([1, 2, 3]) @ torch.tensor([4, 5, 6]),
        torch.ones(2, 3, 4).matmul(torch.ones(4, 5)).shape,
    )
    show.raises("(2, 3) @ (2, 3)", lambda: torch.tensor([[1, 2, 3]]) @ torch.tensor([[1, 2, 3]]))


def _dense(lib):
    nn, torch = lib.nn, lib.torch

    class Linear(nn.Module):
        """Keeps its weights as [input_size, output_size], so forward is x @ weights + bias."""

        def __init__(self, input_size, output_size, use_bias=True, seed=0):
            super().__init__()
            self.input_size, self.output_size = input_size, output_size
            self.weights = nn.Parameter(
                torch.tensor(draw(seed, input_size, output_size, scale=0.1))
            )
            if use_bias:
                self.bias = nn.Parameter(torch.tensor(draw(seed + 1, output_size, scale=0.1)))
            else:
                self.bias = None

        def forward(self, x):
            output = x @ self.weights
            if self.bias is not None:
                output = output + self.bias
            return output

    return Linear


def lesson_dense_layer(lib, show):
    torch = lib.torch
    Dense = _dense(lib)
    layer = Dense(input_size=3, output_size=2)
    output = layer.forward(torch.tensor([[1.0, 2.0, 3.0]]))
    show(output.shape == (1, 2), output)
    no_bias = Dense(input_size=2, output_size=3, use_bias=False)
    show(no_bias.bias is None, len(list(no_bias.parameters())), no_bias)
    batch = torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    batch_layer = Dense(input_size=2, output_size=2, seed=5)
    show(
        batch_layer.forward(batch).shape,
        torch.equal(batch_layer(batch), batch_layer.forward(batch)),
    )
    wide = Dense(input_size=10, output_size=5)
    show(wide.weights.shape, wide.bias.shape, bool(wide.weights.abs().mean() < 1.0))
    # torch's own Linear keeps the transpose, [out, in], and computes x @ W.T + b
    theirs = lib.nn.Linear(10, 5, bias=False)
    show(theirs.weight.shape, theirs.bias, theirs)
    show.raises("4 features into a 3-input Dense", lambda: layer(torch.ones(1, 4)))


def lesson_gradients_flow_through_dense(lib, show):
    torch = lib.torch
    Dense = _dense(lib)
    layer = Dense(input_size=2, output_size=2)
    x = torch.tensor([[1.0, 2.0]], requires_grad=True)
    output = layer(x)
    show(output.requires_grad, output.grad_fn)
    loss = output.sum()
    loss.backward()
    show(layer.weights.grad is not None, layer.bias.grad is not None, x.grad is not None)
    show(layer.weights.grad, layer.bias.grad, x.grad)
    plain = layer(torch.tensor([[1.0, 2.0]]))  # input without grad: the weights still learn
    show(plain.requires_grad, type(plain).__name__)
    with torch.no_grad():
        show(layer(x).requires_grad)


def lesson_replacing_a_parameter(lib, show):
    torch, nn = lib.torch, lib.nn
    Dense = _dense(lib)
    layer = Dense(input_size=5, output_size=3)
    original = layer.weights.data.clone()
    layer.weights = nn.Parameter(original + 0.1)
    show(not torch.allclose(layer.weights, original), layer.weights.requires_grad)
    show(len(list(layer.parameters())), layer.weights[0])
    show.raises(
        "a plain tensor in a parameter's place", lambda: setattr(layer, "weights", original)
    )
    with torch.no_grad():
        layer.weights.add_(1.0)
    show(layer.weights[0], layer.weights.data[0])


def lesson_layer_memory_analysis(lib, show):
    torch, nn = lib.torch, lib.nn
    for input_size, output_size in [(10, 10), (100, 100), (1000, 1000), (784, 128), (128, 10)]:
        layer = nn.Linear(input_size, output_size)
        total = sum(p.numel() for p in layer.parameters())
        bytes_used = sum(p.numel() * p.element_size() for p in layer.parameters())
        show(
            f"{input_size:4d} -> {output_size:4d}: {total:,} params, "
            f"{bytes_used / (1024 * 1024):.3f} MB",
            total == input_size * output_size + output_size,
        )
    layer = nn.Linear(784, 128)
    show(layer.weight.element_size(), layer.weight.dtype, layer.weight.nbytes)
    layer.double()
    show(layer.weight.element_size(), layer.weight.dtype)
    layer.half()
    show(layer.weight.element_size(), layer.bias.dtype)
    layer.float()
    show(
        layer.weight.dtype,
        torch.zeros(3, dtype=torch.int64).element_size(),
        torch.zeros(3, dtype=torch.bool).element_size(),
    )


def lesson_three_layer_network(lib, show):
    torch, nn = lib.torch, lib.nn
    layer1, layer2, layer3 = nn.Linear(784, 128), nn.Linear(128, 64), nn.Linear(64, 10)
    for name, layer in [("1", layer1), ("2", layer2), ("3", layer3)]:
        sizes = f"{layer.in_features} -> {layer.out_features}"
        show(f"layer {name}: {sizes} ({layer.weight.numel():,} weights)")
    input_data = torch.tensor(draw(70, 32, 784))
    hidden1 = layer1(input_data)
    hidden2 = layer2(hidden1)
    output = layer3(hidden2)
    show(input_data.shape, hidden1.shape, hidden2.shape, output.shape)
    total = sum(p.numel() for layer in (layer1, layer2, layer3) for p in layer.parameters())
    show(f"{total:,} parameters, ~{total * 4 / 1024 / 1024:.2f} MB as float32")
    show.raises("a 10-feature input", lambda: layer1(torch.ones(32, 10)))

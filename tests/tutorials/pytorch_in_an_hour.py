"""Lessons following "PyTorch in 1 Hour": tensors, autograd, the verbs, a linear regression
from scratch and then with nn and Adam, and a transformer's feed-forward block.

Each lesson starts with the names a learner imports, taken from ``lib``, then does what
the tutorial's section does and shows what it prints.
"""

from .transcript import draw


def lesson_tensor_from_a_list(lib, show):
    torch = lib.torch
    rows = [[1, 2, 3], [4, 5, 6]]
    t = torch.tensor(rows)
    show(t)
    show(t.dtype, t.shape, t.ndim)
    show(torch.tensor([[0.5, 1.5], [2.5, 3.5]]))
    show(torch.tensor(7.0), torch.tensor(True), torch.tensor([1, 2], dtype=torch.float32))


def lesson_tensor_from_a_shape(lib, show):
    torch = lib.torch
    shape = (2, 3)
    show(torch.ones(shape))
    show(torch.zeros(shape))
    noise = torch.randn(shape)
    show(noise.shape, noise.dtype, noise.requires_grad)
    show(torch.ones(2, 3).shape, torch.zeros(size=(2, 3)).shape)


def lesson_tensor_like_a_template(lib, show):
    torch = lib.torch
    template = torch.tensor([[1, 2], [3, 4]])
    like = torch.randn_like(template, dtype=torch.float)
    show(template)
    show(like.shape, like.dtype)
    show(torch.zeros_like(template), torch.ones_like(template, dtype=torch.float64))
    # an integer template cannot hold normal draws without a float dtype
    show.raises("randn_like(int tensor)", lambda: torch.randn_like(template))


def lesson_shape_dtype_and_device(lib, show):
    torch = lib.torch
    t = torch.randn(2, 3)
    show(t.shape)
    show(t.dtype)
    show(t.device)
    show(repr(t.device), t.device.type)
    show(t.shape[0], t.shape[-1], t.size(), t.size(1), len(t))
    show(t.shape == (2, 3), list(t.shape), tuple(t.shape))


def lesson_only_floats_can_learn(lib, show):
    torch = lib.torch
    counts = torch.tensor([1, 2, 3])
    show(counts.dtype, counts.is_floating_point())
    show.raises(
        "an int tensor with requires_grad", lambda: torch.tensor([1, 2, 3], requires_grad=True)
    )
    weights = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    show(weights, weights.dtype, weights.is_floating_point())
    show(counts.float(), counts.float().dtype, counts.to(torch.float32).dtype)


def lesson_requires_grad_is_the_switch(lib, show):
    torch = lib.torch
    x_data = torch.tensor([[1, 2], [3, 4]])
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    show(x_data.requires_grad)
    show(w.requires_grad)
    show(w, w.is_leaf, w.grad_fn, w.grad)


def lesson_grad_fn_breadcrumbs(lib, show):
    torch = lib.torch
    a = torch.tensor(2.0, requires_grad=True)
    b = torch.tensor(3.0, requires_grad=True)
    x = torch.tensor(4.0, requires_grad=True)
    y = a + b
    z = x * y
    show(y)
    show(z)
    show(z.grad_fn)
    show(y.grad_fn)
    show(a.grad_fn)
    show(z.grad_fn.name(), y.is_leaf, z.requires_grad)
    # the trail autograd walks back from z: x's accumulator and y's AddBackward0
    show(z.grad_fn.next_functions)
    show(z.grad_fn.name(), [node.variable is a for node, _ in y.grad_fn.next_functions])
    z.backward()
    show(x.grad, a.grad, b.grad)


def lesson_star_multiplies_elements(lib, show):
    torch = lib.torch
    a = torch.tensor([[1, 2], [3, 4]])
    b = torch.tensor([[10, 20], [30, 40]])
    show(a * b)
    show(torch.mul(a, b), a * 2, a * torch.tensor([1, 10]))
    show.raises("(2, 2) * (3,)", lambda: a * torch.tensor([1, 2, 3]))


def lesson_at_multiplies_matrices(lib, show):
    torch = lib.torch
    m1 = torch.tensor([[1, 2, 3], [4, 5, 6]])
    m2 = torch.tensor([[7, 8], [9, 10], [11, 12]])
    product = m1 @ m2
    show(product)
    show(product.shape, torch.matmul(m1, m2).dtype)
    show((m1.float() @ m2.float()).dtype)
    show.raises("(2, 3) @ (2, 3)", lambda: m1 @ m1)
    show.raises("int @ float", lambda: m1 @ m2.float())


def lesson_reductions_and_dim(lib, show):
    torch = lib.torch
    scores = torch.tensor([[10.0, 20.0, 30.0], [5.0, 10.0, 15.0]])
    show(scores.mean())
    show(scores.mean(dim=0))  # per assignment: the students collapse
    show(scores.mean(dim=1))  # per student: the assignments collapse
    show(scores.mean(dim=1, keepdim=True), scores.mean(dim=1, keepdim=True).shape)
    show(scores.sum(), scores.sum(dim=0), scores.sum(1, keepdim=True))
    show(scores.max(), scores.min(dim=0).values, scores.mean(dim=-1))
    show(scores.max(dim=1))
    show(torch.mean(scores, dim=0), torch.sum(scores, dim=(0, 1)))
    show.raises("mean of an int tensor", lambda: torch.tensor([1, 2, 3]).mean())
    show.raises("mean over dim=2 of a 2-d tensor", lambda: scores.mean(dim=2))


def lesson_basic_indexing(lib, show):
    torch = lib.torch
    x = torch.arange(12).reshape(3, 4)
    show(x)
    show(x[:, 2])
    show(x[1], x[1, 2], x[-1, 1:3], x[0:2, :2])
    show(x[x > 6], x[:, 2].shape)
    show.raises("row 3 of 3 rows", lambda: x[3])


def lesson_argmax_finds_the_prediction(lib, show):
    torch = lib.torch
    scores = torch.tensor([[10, 5, 8, 20], [11, 30, 2, 9]])
    show(torch.argmax(scores, dim=1))
    show(scores.argmax(dim=0), scores.argmax(), scores.float().argmax(1, keepdim=True))


def lesson_gather_picks_one_per_row(lib, show):
    torch = lib.torch
    data = torch.tensor([[10, 11, 12, 13], [20, 21, 22, 23], [30, 31, 32, 33]])
    indices_to_select = torch.tensor([[2], [0], [3]])
    selected = torch.gather(data, dim=1, index=indices_to_select)
    show(selected)
    show(selected.shape, data.gather(1, indices_to_select).squeeze(1))
    show(torch.gather(data, 0, torch.tensor([[2, 0, 1, 0]])))
    show.raises("an int32 index", lambda: torch.gather(data, 1, indices_to_select.int()))
    show.raises("column 4 of 4", lambda: torch.gather(data, 1, torch.tensor([[4], [0], [0]])))


def _regression_data(torch):
    """Ten points on y = 2x + 1 with a little noise; the model never sees true_w, true_b."""
    X = torch.tensor(draw(1, 10, 1))
    true_w = torch.tensor([[2.0]])
    true_b = torch.tensor(1.0)
    y_true = X @ true_w + true_b + torch.tensor(draw(2, 10, 1, scale=0.1))
    return X, y_true


def _regression_knobs(torch):
    w = torch.tensor(draw(3, 1, 1), requires_grad=True)
    b = torch.tensor(draw(4, 1), requires_grad=True)
    return w, b


def lesson_linear_regression_first_guess(lib, show):
    torch = lib.torch
    N, D_in, D_out = 10, 1, 1
    X, y_true = _regression_data(torch)
    w, b = _regression_knobs(torch)
    show(X.shape == (N, D_in), y_true.shape == (N, D_out))
    show(w)
    show(b)
    y_hat = X @ w + b
    show(y_hat[:3])
    show(y_true[:3])
    show(y_hat.grad_fn, y_hat.requires_grad, y_true.requires_grad)
    show.raises("item() of ten values", lambda: y_hat.item())


def lesson_mse_loss_and_backward(lib, show):
    torch = lib.torch
    X, y_true = _regression_data(torch)
    w, b = _regression_knobs(torch)
    y_hat = X @ w + b
    error = y_hat - y_true
    squared_error = error**2
    loss = squared_error.mean()
    show(loss)
    show(w.grad, b.grad)  # nothing yet
    loss.backward()
    show(w.grad)
    show(b.grad)
    # the same gradients by the chain rule: dL/dw = 2/N X^T (y_hat - y)
    with torch.no_grad():
        show(2 * X.T @ error / len(X), 2 * error.mean())
    show.raises("a second backward", lambda: loss.backward())


def lesson_gradient_descent_by_hand(lib, show):
    torch = lib.torch
    X, y_true = _regression_data(torch)
    w, b = _regression_knobs(torch)
    learning_rate, epochs = 0.1, 100
    for epoch in range(epochs):
        y_hat = X @ w + b
        loss = ((y_hat - y_true) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            w -= learning_rate * w.grad
            b -= learning_rate * b.grad
        if epoch % 10 == 0:
            show(f"epoch {epoch:3d} loss {loss.item():.4f} w {w.item():.3f} b {b.item():.3f}")
        w.grad.zero_()
        b.grad.zero_()
    show(f"learned w {w.item():.3f}, b {b.item():.3f}; true w 2.0, b 1.0")
    show(w, b, w.grad)


def lesson_nn_linear_packages_w_and_b(lib, show):
    torch, nn = lib.torch, lib.nn
    D_in, D_out = 1, 1
    linear_layer = nn.Linear(in_features=D_in, out_features=D_out)
    show(linear_layer)
    show(linear_layer.weight.shape, linear_layer.bias.shape, linear_layer.weight.requires_grad)
    bound = 1 / D_in**0.5  # PyTorch's default: uniform in (-1/sqrt(in), 1/sqrt(in))
    show(bool(linear_layer.weight.abs().max() <= bound))
    with torch.no_grad():
        linear_layer.weight.copy_(torch.tensor([[0.5]]))
        linear_layer.bias.fill_(-0.25)
    show(linear_layer.weight)
    show(linear_layer.bias)
    X = torch.tensor(draw(1, 4, 1))
    y_nn = linear_layer(X)
    show(y_nn)
    show(type(linear_layer.weight).__name__, isinstance(linear_layer.weight, torch.Tensor))
    show.raises("3 features into a 1-feature layer", lambda: linear_layer(torch.ones(2, 3)))
    show.raises("int input into a float layer", lambda: linear_layer(torch.tensor([[1]])))


def lesson_activations_add_kinks(lib, show):
    torch, nn = lib.torch, lib.nn
    sample = torch.tensor([-2.0, -0.5, 0.5, 2.0])
    relu = nn.ReLU()
    show(sample)
    show(relu(sample))
    gelu = nn.GELU()
    show(gelu(sample))
    softmax = nn.Softmax(dim=-1)
    logits = torch.tensor([[1.0, 2.0, 3.0, 0.5], [0.1, 0.2, 0.3, 0.4]])
    probs = softmax(logits)
    show(probs)
    show(probs[0].sum(), probs.sum(dim=-1), probs.argmax(dim=-1))
    show(relu, gelu, softmax)
    learning = sample.clone().requires_grad_(True)
    show(relu(learning), gelu(learning), softmax(learning))


def lesson_embedding_layer_norm_and_dropout(lib, show):
    torch, nn = lib.torch, lib.nn
    vocab_size, embedding_dim = 10, 3
    embedding_layer = nn.Embedding(vocab_size, embedding_dim)
    embedding_layer.load_state_dict({"weight": torch.tensor(draw(5, vocab_size, embedding_dim))})
    input_ids = torch.tensor([[1, 5, 0, 8]])
    word_vectors = embedding_layer(input_ids)
    show(input_ids.shape, word_vectors.shape)
    show(word_vectors)
    show.raises("word id 10 of 10", lambda: embedding_layer(torch.tensor([[1, 10]])))

    norm_layer = nn.LayerNorm(3)
    features = torch.tensor([[1.0, 2.0, 3.0], [10.0, -4.0, 0.5]])
    normed = norm_layer(features)
    show(normed)
    show(bool(normed.mean(dim=-1).abs().max() < 1e-6))
    show(normed.std(dim=-1, unbiased=False))
    show(norm_layer, norm_layer.weight, norm_layer.bias)
    show.raises("LayerNorm(3) on 4 features", lambda: norm_layer(torch.ones(2, 4)))

    dropout_layer = nn.Dropout(p=0.5)
    ones = torch.ones(4, 8)
    dropout_layer.train()
    dropped = dropout_layer(ones)
    # which units drop is random; that survivors are doubled and the rest zero is not
    show(sorted(set(dropped.flatten().tolist())), dropped.shape, dropout_layer.training)
    dropout_layer.eval()
    show(dropout_layer(ones), dropout_layer.training)
    show(dropout_layer)


def _regression_model(lib):
    nn = lib.nn

    class LinearRegressionModel(nn.Module):
        def __init__(self, in_features, out_features):
            super().__init__()
            self.linear = nn.Linear(in_features, out_features)

        def forward(self, x):
            return self.linear(x)

    model = LinearRegressionModel(in_features=1, out_features=1)
    start = {"linear.weight": draw(3, 1, 1), "linear.bias": draw(4, 1)}
    model.load_state_dict({k: lib.torch.tensor(v) for k, v in start.items()})
    return model


def lesson_module_blueprint(lib, show):
    torch = lib.torch
    model = _regression_model(lib)
    show(model)
    show([name for name, _ in model.named_parameters()])
    show(list(model.parameters()))
    show(sum(p.numel() for p in model.parameters()), model.linear.in_features)
    show(model(torch.tensor([[1.0], [2.0]])))
    show(list(model.state_dict().keys()), model.training)


def lesson_optimizer_and_loss_function(lib, show):
    torch, nn, optim = lib.torch, lib.nn, lib.optim
    model = _regression_model(lib)
    learning_rate = 0.01
    optimizer = optim.Adam(model.parameters(), lr=learning_rate)
    loss_fn = nn.MSELoss()
    show(loss_fn)
    show(optimizer)
    show.raises("Adam over no parameters", lambda: optim.Adam([], lr=0.01))
    show(type(optimizer).__name__, len(optimizer.param_groups), optimizer.param_groups[0]["lr"])
    show(optimizer.param_groups[0]["betas"], optimizer.param_groups[0]["eps"])
    X, y_true = _regression_data(torch)
    loss = loss_fn(model(X), y_true)
    show(loss)
    show(f"loss {loss}", f"{loss:.3f}")  # a 0-d tensor formats as its number
    show.raises("MSELoss on (10, 1) and (3, 2)", lambda: loss_fn(model(X), torch.ones(3, 2)))


def lesson_three_line_mantra(lib, show):
    torch, nn, optim = lib.torch, lib.nn, lib.optim
    model = _regression_model(lib)
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    loss_fn = nn.MSELoss()
    X, y_true = _regression_data(torch)
    for epoch in range(100):
        y_hat = model(X)
        loss = loss_fn(y_hat, y_true)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if epoch % 10 == 0:
            show(f"Epoch {epoch}, loss {loss.item():.4f}")
    show(model.linear.weight, model.linear.bias)
    show(model.linear.weight.grad)  # kept after the last step
    optimizer.zero_grad()
    show(model.linear.weight.grad)  # zero_grad sets grads to None


def lesson_transformer_feed_forward_block(lib, show):
    torch, nn = lib.torch, lib.nn
    d_model, d_hidden = 4, 16

    class FeedForwardNetwork(nn.Module):
        def __init__(self, d_model, d_hidden):
            super().__init__()
            self.layer1 = nn.Linear(d_model, d_hidden)
            self.activation = nn.GELU()
            self.layer2 = nn.Linear(d_hidden, d_model)

        def forward(self, x):
            return self.layer2(self.activation(self.layer1(x)))

    ffn = FeedForwardNetwork(d_model, d_hidden)
    shapes = {name: tuple(p.shape) for name, p in ffn.named_parameters()}
    start = {name: draw(10 + i, *shape) for i, (name, shape) in enumerate(shapes.items())}
    ffn.load_state_dict({k: torch.tensor(v) for k, v in start.items()})
    show(ffn)
    show(shapes)
    show(sum(p.numel() for p in ffn.parameters()))
    tokens = torch.tensor(draw(20, 2, 3, d_model))  # batch 2, 3 tokens each
    out = ffn(tokens)
    show(out.shape)
    show(out)
    out.sum().backward()
    show(ffn.layer1.weight.grad.shape, ffn.layer2.bias.grad)
    one_token = ffn(tokens[0, 0])
    show(one_token)

"""Lessons following the MLP built by hand: four tensors, the forward pass, a stable softmax
and cross-entropy, the backward pass written out and checked against autograd, SGD,
Momentum and Adam from scratch against torch.optim, batches from randperm and the
DataLoader, the same network in torch.nn, the device, hooks, dropout and saving.

The tutorial's network is 784-128-10 on MNIST; here it is 64-32-10 on random numbers, so
the lessons stay fast and need no download. Starting numbers come from numpy.
"""

import os
import tempfile
import time

from .transcript import classes, draw, permutation

D_IN, HIDDEN, OUT, BATCH = 64, 32, 10, 16


def _four_tensors(torch, seed=0):
    """W1, b1, W2, b2 with Kaiming-scaled starting weights, all learning."""
    W1 = torch.tensor(draw(seed, D_IN, HIDDEN) * (2.0 / D_IN) ** 0.5).requires_grad_(True)
    b1 = torch.zeros(HIDDEN, requires_grad=True)
    W2 = torch.tensor(draw(seed + 1, HIDDEN, OUT) * (2.0 / HIDDEN) ** 0.5).requires_grad_(True)
    b2 = torch.zeros(OUT, requires_grad=True)
    return W1, b1, W2, b2


def _batch(torch, seed=7, n=BATCH):
    return torch.tensor(draw(seed, n, D_IN)), torch.tensor(classes(seed, n))


def lesson_the_network_is_four_tensors(lib, show):
    torch = lib.torch
    W1 = torch.randn(784, 128, requires_grad=True)
    b1 = torch.zeros(128, requires_grad=True)
    W2 = torch.randn(128, 10, requires_grad=True)
    b2 = torch.zeros(10, requires_grad=True)
    show(W1.shape)
    show(W1.dtype)
    show(W1.device)
    show(repr(W1.device))
    show(W1.requires_grad, W1.grad, W1.is_leaf)
    params = [W1, b1, W2, b2]
    total = sum(p.numel() for p in params)
    show(f"parameters: {total:,}")
    for name, p in zip(["W1", "b1", "W2", "b2"], params, strict=True):
        kilobytes = p.numel() * p.element_size() / 1024
        show(f"{name} {list(p.shape)} {p.numel():,} values, {kilobytes:.2f} KB")
    show(sum(p.nelement() * p.element_size() for p in params), W1.element_size(), W1.nbytes)
    peek = torch.tensor(draw(0, 784, 128))
    show(peek[0, :5])
    show(peek[:64, :32])  # more than a thousand values: printed with "..."
    show.raises("numpy() of a tensor that requires grad", lambda: W1.numpy())
    show(type(W1.detach().numpy()).__name__, W1.detach().numpy().dtype)


def lesson_kaiming_initialisation(lib, show):
    torch = lib.torch
    scale = (2.0 / 784) ** 0.5
    show(f"{scale:.4f}")
    W1 = torch.randn(784, 128) * scale
    W1.requires_grad_(True)
    show(W1.is_leaf, W1.requires_grad, W1.grad_fn)
    # the draws differ between libraries; their spread does not
    show(abs(W1.std().item() - scale) < 0.002, W1.abs().max().item() < 6 * scale)
    fixed = torch.tensor(draw(0, 64, 32)) * (2.0 / 64) ** 0.5
    show(fixed.std(), fixed.mean())
    show.raises("requires_grad_(False) on a non-leaf", lambda: (W1 * 2).requires_grad_(False))


def lesson_forward_pass_with_shapes(lib, show):
    torch = lib.torch
    W1, b1, W2, b2 = _four_tensors(torch)
    x, _ = _batch(torch)
    h = x @ W1 + b1
    show(h.shape)
    h = torch.clamp(h, min=0)
    show(h.shape, bool((h >= 0).all()))
    out = h @ W2 + b2
    show(out.shape)
    show(out[:2])
    show(out.argmax(dim=1))


def lesson_one_image_through_the_network(lib, show):
    torch = lib.torch
    W1, b1, W2, b2 = _four_tensors(torch)
    x = torch.zeros(1, D_IN)
    x[0, 20:30] = 1.0  # a few bright pixels
    show(x.sum(), x[0, 18:32])
    h = x @ W1 + b1
    show(h[0, :5])
    h = torch.clamp(h, min=0)
    show(h[0, :5])
    out = h @ W2 + b2
    show(out)
    show(out.argmax(dim=1), out.argmax().item())


def lesson_forward_as_a_function(lib, show):
    torch, F = lib.torch, lib.F

    def forward(x, W1, b1, W2, b2):
        h = torch.clamp(x @ W1 + b1, min=0)
        return h @ W2 + b2

    W1, b1, W2, b2 = _four_tensors(torch)
    x, _ = _batch(torch)
    logits = forward(x, W1, b1, W2, b2)
    prediction = logits.argmax(dim=1)
    show(logits.shape, prediction.shape, prediction.dtype)
    show(prediction)
    h = x @ W1 + b1
    # clamp(min=0) is ReLU, whichever way it is spelled
    show(torch.equal(torch.clamp(h, min=0), torch.relu(h)), torch.equal(F.relu(h), h.relu()))
    show(torch.clamp(torch.tensor([-1.0, 0.5, 3.0]), min=0, max=1))


def _naive_softmax(torch, logits):
    exp_logits = torch.exp(logits)
    return exp_logits / exp_logits.sum(dim=1, keepdim=True)


def _softmax(torch, logits):
    shifted = logits - logits.max(dim=1, keepdim=True).values
    exp_logits = torch.exp(shifted)
    return exp_logits / exp_logits.sum(dim=1, keepdim=True)


def lesson_naive_softmax_overflows(lib, show):
    torch = lib.torch
    logits = torch.tensor([[100.0, 101.0, 102.0]])
    show(torch.exp(logits))
    show(_naive_softmax(torch, logits))
    show(torch.exp(torch.tensor([88.0, 89.0, -104.0, -110.0])))
    show(torch.isinf(torch.exp(logits)), torch.isnan(_naive_softmax(torch, logits)).any())


def lesson_stable_softmax(lib, show):
    torch, F = lib.torch, lib.F
    logits = torch.tensor([[100.0, 101.0, 102.0]])
    probs = _softmax(torch, logits)
    show(probs)
    show(probs.sum(dim=1), logits.max(dim=1, keepdim=True))
    show(torch.softmax(logits, dim=1), F.softmax(logits, dim=1))
    small = torch.tensor(draw(3, 4, 10))
    show(torch.allclose(_softmax(torch, small), _naive_softmax(torch, small)))
    show(torch.allclose(_softmax(torch, small), small.softmax(dim=1)))


def _cross_entropy_loss(torch, logits, targets):
    shifted = logits - logits.max(dim=1, keepdim=True).values
    log_probs = shifted - torch.log(torch.exp(shifted).sum(dim=1, keepdim=True))
    loss = -log_probs[torch.arange(logits.shape[0]), targets]
    return loss.mean()


def lesson_cross_entropy_by_hand(lib, show):
    torch, nn, F = lib.torch, lib.nn, lib.F
    logits = torch.tensor(draw(4, 64, 10))
    targets = torch.tensor(classes(4, 64))
    ours = _cross_entropy_loss(torch, logits, targets)
    theirs = F.cross_entropy(logits, targets)
    show(torch.allclose(ours, theirs))
    show(ours, theirs, nn.CrossEntropyLoss()(logits, targets))
    learning = logits.clone().requires_grad_(True)
    show(F.cross_entropy(learning, targets), _cross_entropy_loss(torch, learning, targets))
    show(F.cross_entropy(logits, targets, reduction="none")[:4])
    show(-F.log_softmax(logits, dim=1).gather(1, targets.unsqueeze(1)).mean())
    # a confident right answer costs little, a confident wrong one a lot
    sure = torch.tensor([[10.0, 0.0, 0.0]])
    show(F.cross_entropy(sure, torch.tensor([0])), F.cross_entropy(sure, torch.tensor([2])))
    show.raises("a label of 10 with 10 classes", lambda: F.cross_entropy(logits, targets + 10))
    show.raises("float labels", lambda: F.cross_entropy(logits[:3], torch.tensor([1.0, 2.0, 3.0])))
    show.raises("3 rows, 2 labels", lambda: F.cross_entropy(logits[:3], torch.tensor([1, 2])))


def lesson_manual_backward_matches_autograd(lib, show):
    torch = lib.torch
    W1, b1, W2, b2 = _four_tensors(torch)
    x, targets = _batch(torch)
    N = x.shape[0]
    h_pre = x @ W1 + b1
    h = torch.clamp(h_pre, min=0)
    out = h @ W2 + b2
    probs = _softmax(torch, out)
    loss = _cross_entropy_loss(torch, out, targets)
    show(loss)

    # softmax and NLL together: d_out = (probs - one_hot(targets)) / N
    d_out = probs.clone()
    d_out[torch.arange(N), targets] -= 1
    d_out /= N
    show(d_out.grad_fn, d_out[0])
    d_W2 = h.T @ d_out
    d_b2 = d_out.sum(dim=0)
    d_h = d_out @ W2.T
    d_h_pre = d_h * (h_pre > 0).float()
    d_W1 = x.T @ d_h_pre
    d_b1 = d_h_pre.sum(dim=0)
    show(d_W1.shape, d_b1.shape, d_W2.shape, d_b2.shape)
    show(h.T.grad_fn.name(), W2.t().grad_fn.name(), W2.transpose(0, 1).grad_fn.name())

    loss.backward()
    for mine, param in [(d_W1, W1), (d_b1, b1), (d_W2, W2), (d_b2, b2)]:
        show(torch.allclose(mine, param.grad, atol=1e-5))
    show(b2.grad)

    # the same subtraction indexed with a Python range instead of a tensor
    with torch.no_grad():
        d = probs.clone()
        d[range(N), targets] -= 1
        d /= N
    show(torch.allclose(d, d_out), d.requires_grad)
    show.raises("a second backward", lambda: loss.backward())
    show.raises("backward from a non-scalar", lambda: (x @ W1).backward())


def lesson_sgd_by_hand(lib, show):
    torch, optim = lib.torch, lib.optim
    x, y = _batch(torch)
    lr = 0.1
    mine = _four_tensors(torch)
    theirs = [p.detach().clone().requires_grad_(True) for p in mine]
    optimizer = optim.SGD(theirs, lr=lr)
    for step in range(3):
        for params in (mine, theirs):
            W1, b1, W2, b2 = params
            out = torch.clamp(x @ W1 + b1, min=0) @ W2 + b2
            _cross_entropy_loss(torch, out, y).backward()
        with torch.no_grad():
            for p in mine:
                p -= lr * p.grad
        for p in mine:
            p.grad.zero_()
        optimizer.step()
        optimizer.zero_grad()
        show(step, [torch.allclose(a, b, atol=1e-6) for a, b in zip(mine, theirs, strict=True)])
    show(mine[3], mine[0].grad.abs().sum(), theirs[0].grad)

    def update_outside_no_grad():
        W1 = mine[0]
        W1 -= lr * W1.grad

    show.raises("an update outside no_grad", update_outside_no_grad)


def lesson_gradients_accumulate(lib, show):
    torch = lib.torch
    W1, b1, W2, b2 = _four_tensors(torch)
    x, y = _batch(torch)

    def loss():
        return _cross_entropy_loss(torch, torch.clamp(x @ W1 + b1, min=0) @ W2 + b2, y)

    loss().backward()
    once = b2.grad.clone()
    loss().backward()
    show(torch.allclose(b2.grad, 2 * once), b2.grad)
    b2.grad.zero_()
    show(b2.grad)


def lesson_momentum_by_hand(lib, show):
    torch, optim = lib.torch, lib.optim
    x, y = _batch(torch)
    lr, mu = 0.05, 0.9
    mine = _four_tensors(torch)
    theirs = [p.detach().clone().requires_grad_(True) for p in mine]
    velocities = [torch.zeros_like(p) for p in mine]
    optimizer = optim.SGD(theirs, lr=lr, momentum=mu)
    for _ in range(4):
        for W1, b1, W2, b2 in (mine, theirs):
            out = torch.clamp(x @ W1 + b1, min=0) @ W2 + b2
            _cross_entropy_loss(torch, out, y).backward()
        with torch.no_grad():
            for i, p in enumerate(mine):
                velocities[i] = mu * velocities[i] + p.grad
                p -= lr * velocities[i]
                p.grad.zero_()
        optimizer.step()
        optimizer.zero_grad()
    show([torch.allclose(a, b, atol=1e-6) for a, b in zip(mine, theirs, strict=True)])
    show(velocities[3], optimizer.state[theirs[3]]["momentum_buffer"])
    show(mine[3])


def lesson_adam_by_hand(lib, show):
    torch, optim = lib.torch, lib.optim
    x, y = _batch(torch)
    lr, beta1, beta2, eps = 0.01, 0.9, 0.999, 1e-8

    def adam_step(param, grad, m, v, t):
        t += 1
        m = beta1 * m + (1 - beta1) * grad
        v = beta2 * v + (1 - beta2) * grad**2
        m_hat = m / (1 - beta1**t)
        v_hat = v / (1 - beta2**t)
        param -= lr * m_hat / (torch.sqrt(v_hat) + eps)
        return m, v, t

    mine = _four_tensors(torch)
    theirs = [p.detach().clone().requires_grad_(True) for p in mine]
    ms = [torch.zeros_like(p) for p in mine]
    vs = [torch.zeros_like(p) for p in mine]
    optimizer = optim.Adam(theirs, lr=lr, betas=(beta1, beta2), eps=eps)
    t = 0
    for _ in range(5):
        for W1, b1, W2, b2 in (mine, theirs):
            out = torch.clamp(x @ W1 + b1, min=0) @ W2 + b2
            _cross_entropy_loss(torch, out, y).backward()
        with torch.no_grad():
            step = t
            for i, p in enumerate(mine):
                ms[i], vs[i], t = adam_step(p, p.grad, ms[i], vs[i], step)
                p.grad.zero_()
        optimizer.step()
        optimizer.zero_grad()
    show(t, [torch.allclose(a, b, atol=1e-6) for a, b in zip(mine, theirs, strict=True)])
    state = optimizer.state[theirs[3]]
    show(sorted(state.keys()), state["step"])
    show(torch.allclose(ms[3], state["exp_avg"]), torch.allclose(vs[3], state["exp_avg_sq"]))
    show(mine[3])


def lesson_batches_from_randperm(lib, show):
    torch = lib.torch
    N, batch_size = 200, 64
    X_train = torch.tensor(draw(8, N, D_IN))
    y_train = torch.tensor(classes(8, N))
    perm = torch.randperm(N)
    show(perm.dtype, perm.shape, sorted(perm.tolist()) == list(range(N)))
    sizes, seen = [], []
    for i in range(0, N, batch_size):
        idx = perm[i : i + batch_size]
        x_batch, y_batch = X_train[idx], y_train[idx]
        sizes.append((tuple(x_batch.shape), tuple(y_batch.shape)))
        seen += idx.tolist()
    show(sizes)
    show(sorted(seen) == list(range(N)), (N + batch_size - 1) // batch_size)

    def get_batches(X, y, batch_size):
        N = X.shape[0]
        perm = torch.randperm(N)
        for i in range(0, N, batch_size):
            idx = perm[i : i + batch_size]
            yield X[idx], y[idx]

    # with the weights held still, the batches' losses add up to the whole set's
    W1, b1, W2, b2 = _four_tensors(torch)
    with torch.no_grad():
        total = 0.0
        for xb, yb in get_batches(X_train, y_train, batch_size):
            out = torch.clamp(xb @ W1 + b1, min=0) @ W2 + b2
            total += _cross_entropy_loss(torch, out, yb).item() * len(xb)
        whole = torch.clamp(X_train @ W1 + b1, min=0) @ W2 + b2
        show(f"{total / N:.4f}", f"{_cross_entropy_loss(torch, whole, y_train).item():.4f}")
    show(torch.randperm(5, dtype=torch.int32).dtype, torch.randperm(0))


def lesson_why_shuffle(lib, show):
    torch = lib.torch
    y_sorted = torch.tensor(sorted(classes(9, 200).tolist()))
    show(y_sorted[:64].unique())  # an unshuffled first batch: one or two classes
    perm = torch.randperm(200)
    show(len(y_sorted[perm[:64]].unique()) > 5)
    show(torch.unique(y_sorted).shape, y_sorted.bincount())


def lesson_dataloader_does_the_same(lib, show):
    torch, data = lib.torch, lib.data
    DataLoader, TensorDataset = data.DataLoader, data.TensorDataset
    X = torch.tensor(draw(10, 100, D_IN))
    y = torch.tensor(classes(10, 100))
    dataset = TensorDataset(X, y)
    show(len(dataset), [t.shape for t in dataset[3]])
    in_order = DataLoader(dataset, batch_size=32, shuffle=False)
    show(len(in_order))
    for xb, yb in in_order:
        show(xb.shape, yb.shape, yb[:5], xb.sum())
    shuffled = DataLoader(dataset, batch_size=32, shuffle=True)
    labels = [yb for _, yb in shuffled]
    show([len(b) for b in labels], torch.equal(torch.cat(labels).sort().values, y.sort().values))
    show(len(DataLoader(dataset, batch_size=32, drop_last=True)))


def lesson_complete_training_pipeline(lib, show):
    torch = lib.torch
    N, batch_size, epochs, lr = 256, 64, 3, 0.01
    X_train = torch.tensor(draw(11, N, D_IN))
    y_train = torch.tensor(classes(11, N))
    W1, b1, W2, b2 = _four_tensors(torch)
    params = [W1, b1, W2, b2]
    ms = [torch.zeros_like(p) for p in params]
    vs = [torch.zeros_like(p) for p in params]
    t = 0
    for epoch in range(epochs):
        perm = torch.tensor(permutation(100 + epoch, N))  # a shuffle both libraries share
        epoch_loss, correct = 0.0, 0
        for i in range(0, N, batch_size):
            idx = perm[i : i + batch_size]
            x, y = X_train[idx], y_train[idx]
            h = torch.clamp(x @ W1 + b1, min=0)
            out = h @ W2 + b2
            shifted = out - out.max(dim=1, keepdim=True).values
            log_probs = shifted - torch.log(torch.exp(shifted).sum(1, keepdim=True))
            loss = -log_probs[torch.arange(x.shape[0]), y].mean()
            loss.backward()
            t += 1
            with torch.no_grad():
                for j, p in enumerate(params):
                    ms[j] = 0.9 * ms[j] + 0.1 * p.grad
                    vs[j] = 0.999 * vs[j] + 0.001 * p.grad**2
                    m_hat = ms[j] / (1 - 0.9**t)
                    v_hat = vs[j] / (1 - 0.999**t)
                    p -= lr * m_hat / (v_hat.sqrt() + 1e-8)
                    p.grad.zero_()
            epoch_loss += loss.item()
            correct += (out.argmax(1) == y).sum().item()
        n_batches = (N + batch_size - 1) // batch_size
        show(
            f"Epoch {epoch + 1}/{epochs} | Loss: {epoch_loss / n_batches:.4f} | "
            f"Acc: {correct / N * 100:.1f}%"
        )
    show(type(correct).__name__, b2)


def lesson_scratch_equals_torch_nn(lib, show):
    torch, nn, F = lib.torch, lib.nn, lib.F
    lr = 0.1
    W1, b1, W2, b2 = _four_tensors(torch)
    model = nn.Sequential(nn.Linear(D_IN, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, OUT))
    with torch.no_grad():  # nn.Linear keeps its weight as [out, in]: the transpose of ours
        model[0].weight.copy_(W1.T)
        model[0].bias.copy_(b1)
        model[2].weight.copy_(W2.T)
        model[2].bias.copy_(b2)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    for step in range(5):
        x, y = _batch(torch, seed=20 + step)
        out = torch.clamp(x @ W1 + b1, min=0) @ W2 + b2
        loss_scratch = F.cross_entropy(out, y)
        loss_scratch.backward()
        with torch.no_grad():
            for p in (W1, b1, W2, b2):
                p -= lr * p.grad
                p.grad.zero_()
        loss_nn = F.cross_entropy(model(x), y)
        loss_nn.backward()
        optimizer.step()
        optimizer.zero_grad()
        show(f"{loss_scratch.item():.5f} {loss_nn.item():.5f}")
    show(torch.allclose(W1, model[0].weight.T, atol=1e-6), torch.allclose(b2, model[2].bias))
    show(abs(loss_scratch.item() - loss_nn.item()) < 1e-6)
    show(model[0].weight.shape, W1.shape, model[0].weight.T.shape)


def lesson_module_finds_the_parameters(lib, show):
    torch, nn = lib.torch, lib.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(D_IN, HIDDEN)
            self.fc2 = nn.Linear(HIDDEN, OUT)

        def forward(self, x):
            return self.fc2(torch.relu(self.fc1(x)))

    model = Net()
    show(model)
    show([tuple(p.shape) for p in model.parameters()], len(list(model.parameters())))
    show([name for name, _ in model.named_parameters()])
    show([name for name, _ in model.named_children()], type(model.fc1).__name__)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.001)
    show(len(optimizer.param_groups[0]["params"]), optimizer.defaults["lr"])
    x, _ = _batch(torch)
    show(model(x).shape, model.fc1(x).grad_fn)


def lesson_sequential_stacks_layers(lib, show):
    torch, nn = lib.torch, lib.nn
    model = nn.Sequential(
        nn.Linear(D_IN, HIDDEN),
        nn.ReLU(),
        nn.Linear(HIDDEN, 16),
        nn.ReLU(),
        nn.Linear(16, OUT),
    )
    show(model)
    show(len(model), model[2], model[-1].out_features)
    x, _ = _batch(torch)
    show(model(x).shape, sum(p.numel() for p in model.parameters()))
    show([type(m).__name__ for m in model])


def lesson_save_and_load(lib, show):
    torch, nn = lib.torch, lib.nn

    def net():
        return nn.Sequential(nn.Linear(D_IN, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, OUT))

    model = net()
    start = {
        k: torch.tensor(draw(30 + i, *v.shape))
        for i, (k, v) in enumerate(model.state_dict().items())
    }
    model.load_state_dict(start)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.pt")
        torch.save(model.state_dict(), path)
        restored = net()
        show(restored.load_state_dict(torch.load(path)))
        show(restored[2].state_dict())
        x, _ = _batch(torch)
        show(torch.equal(restored(x), model(x)), list(torch.load(path).keys()))

        W1, b1, W2, b2 = _four_tensors(torch)
        raw = os.path.join(folder, "raw.pt")
        torch.save({"W1": W1, "b1": b1, "W2": W2, "b2": b2}, raw)
        loaded = torch.load(raw)
        show(sorted(loaded), torch.equal(loaded["W1"], W1), loaded["W2"].shape)
    show(model.state_dict()["2.bias"])
    show(nn.Linear(2, 1).load_state_dict({"weight": torch.ones(1, 2), "bias": torch.zeros(1)}))
    show(net()[2].state_dict().keys(), net()[2].state_dict()["bias"].shape)
    show.raises(
        "a state dict with a missing key",
        lambda: net().load_state_dict({"0.weight": start["0.weight"]}),
    )
    wrong = dict(start, **{"2.bias": torch.zeros(3)})
    show.raises("a state dict with a wrong shape", lambda: net().load_state_dict(wrong))


def lesson_forward_hooks_show_activations(lib, show):
    torch, nn = lib.torch, lib.nn
    model = nn.Sequential(nn.Linear(D_IN, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, OUT))
    start = {
        k: torch.tensor(draw(40 + i, *v.shape))
        for i, (k, v) in enumerate(model.state_dict().items())
    }
    model.load_state_dict(start)

    def print_activation(module, input, output):
        show(f"{module.__class__.__name__}: {output.shape}, mean={output.mean():.3f}")
        show(type(input).__name__, len(input), input[0].shape)

    handles = [layer.register_forward_hook(print_activation) for layer in model]
    x, _ = _batch(torch)
    model(x)
    for handle in handles:
        handle.remove()
    model(x)  # no hooks left: nothing printed
    show("hooks removed")


def lesson_dropout_by_hand_and_nn(lib, show):
    torch, nn, F = lib.torch, lib.nn, lib.F

    def dropout(x, p=0.5, training=True):
        if not training:
            return x
        mask = (torch.rand_like(x) > p).float()
        return x * mask / (1 - p)

    x = torch.ones(8, 16)
    kept = dropout(x)
    # which units survive is random; their value and the others' zero are not
    show(sorted(set(kept.flatten().tolist())), kept.shape, kept.dtype)
    show(dropout(x.clone().requires_grad_(True)).grad_fn.name())
    show(bool(0.2 < (kept == 0).float().mean() < 0.8))
    show(
        torch.equal(dropout(x, training=False), x),
        torch.equal(F.dropout(x, 0.5, training=False), x),
    )
    model = nn.Sequential(
        nn.Linear(D_IN, HIDDEN), nn.ReLU(), nn.Dropout(0.5), nn.Linear(HIDDEN, OUT)
    )
    show(model.training, model[2].training, model[2])
    model.eval()
    show(model.training, model[2].training)
    h = torch.tensor(draw(50, 4, HIDDEN))
    show(torch.equal(model[2](h), h))
    model.train()
    show(model[2].training, sorted(set(model[2](torch.ones(64)).tolist())))
    show(sorted(set(F.dropout(torch.ones(64), p=0.25).tolist())))
    show(model[2](torch.ones(4, requires_grad=True)).grad_fn.name())
    show.raises("dropout probability 1.5", lambda: nn.Dropout(1.5))


def lesson_device_without_a_gpu(lib, show):
    torch, nn = lib.torch, lib.nn
    device = "cuda" if torch.cuda.is_available() else "cpu"
    show(device, torch.cuda.is_available(), torch.cuda.device_count())
    W1 = torch.randn(D_IN, HIDDEN, device=device, requires_grad=True)
    b1 = torch.zeros(HIDDEN, device=device, requires_grad=True)
    show(W1.device, b1.device, W1.is_leaf, W1.requires_grad)
    X, y = _batch(torch)
    X, y = X.to(device), y.to(device)
    show(X.device, y.device, (X @ W1 + b1).device)
    show(torch.device(device), torch.device(device).type, X.to("cpu").device)
    model = nn.Linear(D_IN, OUT).to(device)
    show(next(model.parameters()).device, model(X).device)
    x_dev = torch.randn(BATCH, D_IN, device=device)
    W_dev = torch.randn(D_IN, HIDDEN, device=device)
    start = time.time()
    for _ in range(10):
        _ = x_dev @ W_dev
    if device == "cuda":
        torch.cuda.synchronize()
    show(time.time() - start >= 0, _.shape, _.device)
    show(X.cpu().device, X.is_cuda)


def lesson_evaluation_without_gradients(lib, show):
    torch = lib.torch
    W1, b1, W2, b2 = _four_tensors(torch)
    x, y = _batch(torch, n=64)
    with torch.no_grad():
        out = torch.clamp(x @ W1 + b1, min=0) @ W2 + b2
        show(out.requires_grad, out.grad_fn, torch.is_grad_enabled())
    correct = (out.argmax(1) == y).sum()
    show(correct, correct.item(), (out.argmax(1) == y).float().mean())
    show(torch.is_grad_enabled(), out.detach().requires_grad)

"""PyTorch interop, where torch is installed: wengert's exact score-matching loss
and theta-gradient against torch's own double backward."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import wengert as w  # noqa: E402
from wengert.torch import ScoreMatchingLoss  # noqa: E402


def torch_loss(phi, theta, x):
    """½‖∇phi‖² - Δphi averaged over rows, by nested autograd, phi as wengert lays out theta."""
    params = {name: theta[offset:offset + rows * cols].reshape(rows, cols) for name, rows, cols, offset in phi.blocks}
    x = x.clone().requires_grad_(True)
    h = x
    layers = len(phi.widths) - 1
    for l in range(1, layers):
        h = torch.tanh(h @ params[f"W{l}"] + params[f"b{l}"])
    value = (h @ params[f"W{layers}"]).sum()
    (g,) = torch.autograd.grad(value, x, create_graph=True)
    laplacian = sum(torch.autograd.grad(g[:, j].sum(), x, create_graph=True)[0][:, j] for j in range(x.shape[1]))
    return (0.5 * (g * g).sum(dim=1) - laplacian).mean()


def test_the_loss_and_its_theta_gradient_match_torch():
    phi = w.mlp([3, 16, 16, 1], "tanh")
    theta0 = torch.from_numpy(phi.initial_parameters(2))
    x = torch.from_numpy(np.random.default_rng(5).normal(size=(64, 3)))

    ours_theta = theta0.clone().requires_grad_(True)
    ours = ScoreMatchingLoss(phi)(ours_theta, x)
    ours.backward()

    theirs_theta = theta0.clone().requires_grad_(True)
    theirs = torch_loss(phi, theirs_theta, x)
    theirs.backward()

    assert abs(ours.item() - theirs.item()) <= 1e-12 * max(1.0, abs(theirs.item()))
    np.testing.assert_allclose(ours_theta.grad.numpy(), theirs_theta.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_a_torch_training_loop_lowers_the_loss():
    phi = w.mlp([2, 16, 1], "tanh")
    theta = torch.nn.Parameter(torch.from_numpy(phi.initial_parameters(1)))
    optimizer = torch.optim.Adam([theta], lr=1e-2)
    data = torch.from_numpy(w.dataset("ring8").sample(256, seed=3))
    loss_fn = ScoreMatchingLoss(phi)
    first = None
    for _ in range(100):
        optimizer.zero_grad()
        loss = loss_fn(theta, data)
        loss.backward()
        optimizer.step()
        first = loss.item() if first is None else first
    assert loss.item() < first


def test_wrong_tensors_are_refused():
    phi = w.mlp([2, 8, 1], "tanh")
    loss_fn = ScoreMatchingLoss(phi)
    theta = torch.from_numpy(phi.initial_parameters(1))
    with pytest.raises(TypeError, match="float64"):
        loss_fn(theta.float(), torch.zeros(4, 2))
    with pytest.raises(ValueError, match=r"\(B, 2\)"):
        loss_fn(theta, torch.zeros(4, 3, dtype=torch.float64))
    with pytest.raises(ValueError, match="vector of"):
        loss_fn(theta[:3], torch.zeros(4, 2, dtype=torch.float64))
    with pytest.raises(ValueError, match="probes"):
        ScoreMatchingLoss(phi, "hutchinson")

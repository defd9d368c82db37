"""PyTorch interop: wengert's exact score-matching loss and its exact theta-gradient
(third order) inside a PyTorch training loop.

    from wengert.torch import ScoreMatchingLoss
    loss_fn = ScoreMatchingLoss(wengert.mlp([2, 64, 64, 1], "tanh"))
    theta = torch.nn.Parameter(torch.from_numpy(phi.initial_parameters(1)))
    loss = loss_fn(theta, x)          # x: a (B, d) float64 tensor
    loss.backward()                   # theta.grad: wengert's exact gradient

theta is the potential's flat parameter vector (wengert's layout: weights
(in, out), row-major, block by block, as Potential.blocks lists). One run of the
planned gradient program gives both the loss and its gradient; the gradient is
kept for backward, so PyTorch never differentiates the loss itself.
"""
import numpy as np
import torch

from . import _wengert as w


class _Loss(torch.autograd.Function):
    @staticmethod
    def forward(ctx, theta, x, program, phi):
        theta_np = theta.detach().cpu().numpy()
        for name, rows, cols, offset in phi.blocks:
            program.set(name, theta_np[offset:offset + rows * cols].reshape(rows, cols))
        program.set("x", x.detach().cpu().numpy())
        program.run()
        gradient = np.concatenate([program.get(name + "_bar").ravel() for name, _, _, _ in phi.blocks])
        ctx.save_for_backward(torch.from_numpy(gradient).to(theta.device))
        return torch.tensor(program.get("J")[0, 0], dtype=theta.dtype, device=theta.device)

    @staticmethod
    def backward(ctx, grad_output):
        (gradient,) = ctx.saved_tensors
        return grad_output * gradient, None, None, None


class ScoreMatchingLoss:
    """Hyvärinen's score-matching loss of a wengert potential, exact (the forward
    Laplacian), as a differentiable function of theta for PyTorch."""

    def __init__(self, phi, loss="exact"):
        if loss != "exact":
            raise ValueError(f"ScoreMatchingLoss: loss '{loss}' needs probes or noise drawn per step; use 'exact'")
        self.phi = phi
        names = [name for name, _, _, _ in phi.blocks]
        self.program = w.Program(w.grad(w.loss_tape(phi, loss), names, "J"), ["J"] + [n + "_bar" for n in names])

    def __call__(self, theta, x):
        if theta.dtype != torch.float64 or x.dtype != torch.float64:
            raise TypeError("ScoreMatchingLoss: theta and x must be float64 tensors (wengert computes in double)")
        if theta.dim() != 1 or theta.numel() != self.phi.parameter_count:
            raise ValueError(f"ScoreMatchingLoss: theta must be a vector of {self.phi.parameter_count} values, "
                             f"got shape {tuple(theta.shape)}")
        if x.dim() != 2 or x.shape[1] != self.phi.dim:
            raise ValueError(f"ScoreMatchingLoss: x must have shape (B, {self.phi.dim}), got {tuple(x.shape)}")
        return _Loss.apply(theta, x.contiguous(), self.program, self.phi)

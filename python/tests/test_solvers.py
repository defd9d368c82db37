"""MAP with a learned prior and diffusion sampling from Python."""
import numpy as np
import pytest

import wengert as w


def standard_gaussian_prior(d):
    phi = w.quadratic(d)
    return phi, phi.initial_parameters(1)  # mu = 0, L = I: phi = ½‖x‖²


def test_map_with_a_gaussian_prior_has_the_closed_form():
    # min ‖x - b‖²/(2σ²) + ½‖x‖²  =>  x = b / (1 + σ²)
    phi, theta = standard_gaussian_prior(3)
    b = np.array([[1.0, -2.0, 0.5], [0.0, 3.0, -1.0]])
    sigma = 0.5
    r = w.solve_map(w.dense_operator(np.eye(3)), sigma, phi, theta, b, gradient_tolerance=1e-10)
    assert r["converged"]
    np.testing.assert_allclose(r["x"], b / (1 + sigma**2), rtol=1e-9, atol=1e-9)


def test_map_with_a_blur_and_a_step_too_large():
    phi, theta = standard_gaussian_prior(8)
    blur = w.convolution_operator(8, [0.25, 0.5, 0.25])
    x_true = np.sin(np.arange(8.0))[None, :]
    b = blur(x_true)
    assert b.shape == (1, 8)
    r = w.solve_map(blur, 0.1, phi, theta, b)
    assert r["converged"] and r["x"].shape == (1, 8)
    with pytest.raises(w.DivergenceError):
        w.solve_map(blur, 0.01, phi, theta, b, step=10.0)
    with pytest.raises(ArithmeticError):
        w.solve_map(blur, 0.01, phi, theta, b, step=10.0)


def test_a_custom_forward_operator():
    rec = w.Recorder()
    x = rec.data("x", 2)
    rec.output("y", w.tanh(x))
    F = w.taped_operator(rec.finish())
    np.testing.assert_allclose(F(np.array([[0.5, -1.0]])), np.tanh([[0.5, -1.0]]), rtol=1e-15)


def test_diffusion_train_and_sample():
    ring = w.dataset("ring8")
    phi = w.edm_mlp([2, 16, 16, 1], "silu", sigma_data=1.5)
    steps = []
    theta = w.train_diffusion(phi, phi.initial_parameters(1), ring, steps=40, batch=64, sigma_max=7.5,
                              callback=lambda step, loss: steps.append(step))
    assert steps and steps[-1] == 40
    x = w.sample(phi, theta, 100, sampler="heun", evaluations=10, sigma_max=7.5, data_scale=1.5)
    assert x.shape == (100, 2) and np.isfinite(x).all()
    with pytest.raises(w.UsageError, match="sampler"):
        w.sample(phi, theta, 10, sampler="euler")
    with pytest.raises(w.UsageError):
        w.train_diffusion(phi, phi.initial_parameters(1), ring, loss="sliced")

"""Potentials, model files shared with the command line, score matching and the
trace estimators from Python."""
import os
import subprocess

import numpy as np
import pytest

import wengert as w


def test_mlp_potential_theta_and_score():
    phi = w.mlp([2, 16, 16, 1], "tanh")
    theta = phi.initial_parameters(seed=3)
    assert theta.shape == (phi.parameter_count,)
    assert [b[0] for b in phi.blocks][:2] == ["W1", "b1"]
    x = np.random.default_rng(0).normal(size=(5, 2))
    s = phi.score(theta, x)
    assert s.shape == (5, 2)
    # the score is -grad phi: the same as the grad tape's x_bar, negated
    p = w.Program(w.grad(phi.tape, ["x"], "phi"))
    for name, rows, cols, offset in phi.blocks:
        p.set(name, theta[offset:offset + rows * cols].reshape(rows, cols).copy())
    p.set("x", x)
    p.run()
    np.testing.assert_allclose(s, -p.get("x_bar"), rtol=1e-14, atol=1e-15)
    with pytest.raises(ValueError, match="theta has 3 values"):
        phi.score(np.zeros(3), x)
    with pytest.raises(w.UsageError, match="activation"):
        w.mlp([2, 8, 1], "gelu")


def test_pytorch_style_layers_import():
    phi = w.mlp([2, 3, 1], "tanh", output_bias=True)
    W1, b1 = np.arange(6.0).reshape(3, 2), np.array([0.1, 0.2, 0.3])
    W2, b2 = np.array([[1.0, -1.0, 0.5]]), np.array([0.7])
    theta = phi.import_linear_layers([(W1, b1), (W2, b2)])
    assert theta[:6].reshape(2, 3).tolist() == W1.T.tolist()  # (in, out) layout
    with pytest.raises(w.ShapeError):
        phi.import_linear_layers([(W1.T, b1), (W2, b2)])


def test_training_and_model_files_shared_with_the_command_line(tmp_path):
    phi = w.mlp([2, 16, 1], "tanh")
    reports = []
    result = w.train(phi, phi.initial_parameters(1), w.dataset("ring8"), steps=60, batch=64, learning_rate=1e-2,
                     eval_every=20, callback=reports.append)
    assert [r["step"] for r in reports] == [20, 40, 60]
    assert result["history"][-1]["holdout_loss"] < result["history"][0]["holdout_loss"] + 1.0
    assert result["loss"] == "exact" and result["loss_choice"] is None
    path = str(tmp_path / "m.wgt")
    w.save_model(path, phi, result["theta"])
    phi2, theta2 = w.load_model(path)
    assert np.array_equal(theta2, result["theta"]) and phi2.kind == "mlp"
    cli = os.environ.get("WENGERT_CLI")
    if cli:
        out = subprocess.run([cli, "eval", "--model", path, "--data", "ring8", "--samples", "500"], check=True,
                             capture_output=True, text=True).stdout
        assert "Fisher divergence" in out


def test_training_on_rows_with_auto_and_a_callback_that_raises():
    phi = w.quadratic(2)
    data = np.random.default_rng(2).normal(size=(400, 2)) * [1.0, 2.0]
    result = w.train(phi, phi.initial_parameters(1), data, loss="auto", steps=20, batch=100, eval_every=10)
    assert result["loss"] in ("exact", "hutchinson") and result["loss_choice"].startswith("auto chose")

    def stop(progress):
        raise KeyError("stop here")

    with pytest.raises(KeyError, match="stop here"):
        w.train(phi, phi.initial_parameters(1), data, steps=20, batch=100, eval_every=10, callback=stop)
    with pytest.raises(ValueError, match="theta0 has 2 values"):
        w.train(phi, np.zeros(2), data)
    with pytest.raises(w.ShapeError):
        w.train(phi, phi.initial_parameters(1), np.ones((10, 3)))
    with pytest.raises(w.UsageError, match="loss"):
        w.train(phi, phi.initial_parameters(1), data, loss="nope")


def test_trace_estimators_on_a_matrix_and_on_a_function():
    rng = np.random.default_rng(4)
    q, _ = np.linalg.qr(rng.normal(size=(60, 60)))
    A = (q * np.exp(-np.arange(60) / 5.0)) @ q.T
    exact = np.trace(A)
    assert w.exact_trace(A).value == pytest.approx(exact, rel=1e-12)
    e = w.xtrace(A, 40, seed=1)
    assert abs(e.value - exact) < 5 * e.standard_error + 1e-12
    f = w.xtrace(lambda V: V @ A.T, 40, seed=1, n=60)  # the same products through a function
    assert f.value == pytest.approx(e.value, rel=1e-12)
    adaptive = w.xtrace_until(A, relative=1e-3, seed=2)
    assert adaptive.met_tolerance and abs(adaptive.value - exact) <= 1e-3 * exact
    with pytest.raises(w.UsageError):
        w.xnystrace(A - 2 * np.eye(60), 20)  # indefinite
    with pytest.raises(ValueError, match="n = the operator"):
        w.hutchinson(lambda V: V, 10)
    with pytest.raises(ValueError, match="one product per row"):
        w.hutchinson(lambda V: V[:, :3], 10, n=5)
    with pytest.raises(w.ShapeError):
        w.hutchinson(np.ones((3, 4)), 10)

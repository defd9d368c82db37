"""Recording from Python: tapes, their text, and the transformations, checked
against closed forms in NumPy and, bitwise, against the same program run in C++."""
import os
import pickle
import subprocess

import numpy as np
import pytest

import wengert as w


def tanh_times_x(d=3):
    rec = w.Recorder()
    x = rec.data("x", d)
    rec.output("phi", w.sum_cols(w.tanh(x) * x))
    return rec.finish()


def hessian_diagonal(x):  # of sum_i x_i tanh x_i: 2 sech² x - 2 x tanh x sech² x
    s2 = 1 / np.cosh(x) ** 2
    return 2 * s2 - 2 * x * np.tanh(x) * s2


def test_tape_prints_as_its_wengert_list_and_as_dot():
    f = tanh_times_x()
    text = str(f)
    assert "tanh" in text and "output phi" in text
    assert len(f) == 4
    assert f.inputs == [("x", "data", (None, 3))]
    assert f.outputs == ["phi"]
    assert w.hvp(f, "x").outputs == ["phi", "x_bar", "x_bar_dot"]
    assert f.dot().startswith("digraph")


def test_operators_and_shapes():
    rec = w.Recorder()
    x = rec.data("x", 2)
    W = rec.parameter("W", 2, 4)
    y = (x @ W) * 2.0 + 1.0 - x @ W / 3.0
    assert y.shape == (None, 4)
    assert W.T.shape == (4, 2)
    assert w.sum_rows(y).shape == (1, 4)
    with pytest.raises(w.ShapeError, match="matmul"):
        W @ W
    with pytest.raises(TypeError, match="truth value"):
        bool(x)


def test_hvp_and_laplacian_match_the_closed_form():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(5, 3))
    v = rng.normal(size=(5, 3))
    f = tanh_times_x()
    out = w.Program(w.hvp(f, "x"))(x=x, x_dot=v)
    np.testing.assert_allclose(out["x_bar_dot"], hessian_diagonal(x) * v, rtol=1e-14, atol=1e-15)
    lap = w.Program(w.laplacian(f, "x"))(x=x)
    np.testing.assert_allclose(lap["x_laplacian"][:, 0], hessian_diagonal(x).sum(axis=1), rtol=1e-14)


def test_float32_programs():
    x = np.linspace(-1, 1, 12, dtype=np.float32).reshape(4, 3)
    out = w.Program(w.laplacian(tanh_times_x(), "x"), dtype=np.float32)(x=x)
    assert out["x_laplacian"].dtype == np.float32
    np.testing.assert_allclose(out["x_laplacian"][:, 0], hessian_diagonal(x.astype(np.float64)).sum(axis=1), rtol=1e-5)


def test_a_var_after_finish_is_refused():
    rec = w.Recorder()
    x = rec.data("x", 2)
    rec.output("y", w.sum_cols(x))
    rec.finish()
    with pytest.raises(w.UsageError):
        w.tanh(x)


def test_second_derivative_of_relu_is_refused():
    rec = w.Recorder()
    x = rec.data("x", 2)
    rec.output("phi", w.sum_cols(w.relu(x)))
    with pytest.raises(w.NonSmoothError):
        w.hvp(rec.finish(), "x")


def test_tapes_pickle_save_and_load(tmp_path):
    f = w.hvp(tanh_times_x(), "x")
    assert str(pickle.loads(pickle.dumps(f))) == str(f)
    f.save(str(tmp_path / "f.tape"))
    assert str(w.load_tape(str(tmp_path / "f.tape"))) == str(f)
    (tmp_path / "bad.tape").write_text("not a tape\n")
    with pytest.raises(w.IoError):
        w.load_tape(str(tmp_path / "bad.tape"))


def softplus_mlp():
    rec = w.Recorder()
    x = rec.data("x", 4)
    W1, W2 = rec.parameter("W1", 4, 16), rec.parameter("W2", 16, 1)
    rec.output("phi", w.softplus(x @ W1) @ W2)
    return rec.finish()


def loss_gradient_tape():  # the exact score-matching loss's theta-gradient: third order
    phi = w.mlp([4, 16, 1], "tanh")
    return w.grad(w.loss_tape(phi, "exact"), [b[0] for b in phi.blocks], "J")


@pytest.mark.parametrize("name, tape", [("hvp", lambda: w.hvp(softplus_mlp(), "x")),
                                        ("laplacian", lambda: w.laplacian(softplus_mlp(), "x")),
                                        ("loss gradient", loss_gradient_tape)])
def test_python_equals_cpp_bitwise(tmp_path, name, tape):
    f = tape()
    rng = np.random.default_rng(3)
    values = {}
    for input_name, _, (rows, cols) in f.inputs:
        values[input_name] = rng.normal(size=(7 if rows is None else rows, cols))
    ours = w.Program(f)(**values)
    f.save(str(tmp_path / "f.tape"))
    args = [os.environ["WENGERT_REFERENCE"], str(tmp_path / "f.tape")]
    for input_name, m in values.items():
        np.savetxt(tmp_path / f"{input_name}.csv", m, delimiter=",", fmt="%.17g")
        args.append(f"{input_name}={tmp_path / f'{input_name}.csv'}")
    lines = subprocess.run(args, check=True, capture_output=True, text=True).stdout.splitlines()
    assert sorted(line.split()[0] for line in lines) == sorted(ours)
    for line in lines:
        output, *entries = line.split()
        theirs = np.array([float.fromhex(e) for e in entries])
        assert np.array_equal(ours[output].ravel(), theirs), (name, output)

"""Programs on NumPy arrays: inputs viewed without copies and kept alive while
bound, outputs as new arrays, and a clear error for every wrong array."""
import gc

import numpy as np
import pytest

import wengert as w


def square_sum():
    rec = w.Recorder()
    x = rec.data("x", 2)
    rec.output("y", w.sum_cols(w.square(x)))
    return rec.finish()


def square_sum_of_tanh():  # phi = sum_j tanh(x_j)²: its HVP is a chain of element-wise steps
    rec = w.Recorder()
    x = rec.data("x", 2)
    rec.output("phi", w.sum_cols(w.square(w.tanh(x))))
    return rec.finish()


def test_inputs_are_viewed_not_copied():
    p = w.Program(square_sum())
    x = np.ones((3, 2))
    p.set("x", x)
    p.run()
    assert p.get("y")[:, 0].tolist() == [2, 2, 2]
    x[0, :] = 3  # the program reads the array itself
    p.run()
    assert p.get("y")[:, 0].tolist() == [18, 2, 2]


def test_a_bound_array_stays_alive():
    p = w.Program(square_sum())
    p.set("x", np.full((2, 2), 2.0))  # no other reference to the array
    gc.collect()
    np.zeros((1000, 1000))  # reuse freed memory, if it had been freed
    p.run()
    assert p.get("y")[:, 0].tolist() == [8, 8]


def test_outputs_are_new_arrays():
    p = w.Program(square_sum())
    x = np.ones((2, 2))
    p.set("x", x)
    p.run()
    first = p.get("y")
    x[:] = 2
    p.run()
    assert first[:, 0].tolist() == [2, 2]  # not overwritten by the next run


@pytest.mark.parametrize(
    "value, error, message",
    [
        (np.ones((2, 2), dtype=np.float32), TypeError, "float32; this program runs float64"),
        (np.ones((2, 2), dtype=np.int64), TypeError, "int64"),
        ([[1.0, 2.0]], TypeError, "expected a numpy.ndarray, got list"),
        (np.ones(2), ValueError, "has 1 dimensions; pass a 2-D array"),
        (np.ones((2, 2, 2)), ValueError, "has 3 dimensions"),
        (np.ones((4, 2))[::2], ValueError, "not C-contiguous"),
        (np.ones((2, 2)).T.copy().T, ValueError, "not C-contiguous"),
        (np.ones((2, 3)), w.ShapeError, "3 columns|2 columns|2x3"),
    ],
)
def test_every_wrong_array_is_refused_clearly(value, error, message):
    p = w.Program(square_sum())
    with pytest.raises(error, match=message):
        p.set("x", value)


def test_wrong_names_and_missing_inputs():
    p = w.Program(square_sum())
    with pytest.raises(w.UsageError, match="no input 'z'"):
        p.set("z", np.ones((1, 2)))
    with pytest.raises(w.UsageError, match="x"):
        p.run()  # x never bound
    with pytest.raises(w.UsageError):
        w.Program(square_sum(), outputs=["nope"])
    with pytest.raises(TypeError, match="float64 or numpy.float32"):
        w.Program(square_sum(), dtype=np.int32)


def test_shape_and_usage_errors_are_value_errors():
    assert issubclass(w.ShapeError, ValueError) and issubclass(w.ShapeError, w.Error)
    assert issubclass(w.UsageError, ValueError)
    assert issubclass(w.IoError, OSError)
    assert issubclass(w.NonFiniteError, FloatingPointError)


def test_check_finite_names_the_node():
    rec = w.Recorder()
    x = rec.data("x", 1)
    rec.output("y", w.log(x))
    p = w.Program(rec.finish(), check_finite=True)
    with pytest.raises(w.NonFiniteError):
        p(x=np.array([[-1.0]]))


def test_threads_give_the_same_numbers():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4096, 2))
    one = w.Program(square_sum())(x=x)["y"]
    two = w.Program(square_sum(), threads=2)(x=x)["y"]
    assert np.array_equal(one, two)
    assert "2 thread(s)" in w.Program(square_sum(), threads=2).describe()


def test_fused_and_step_by_step_programs_agree_bit_for_bit():
    rng = np.random.default_rng(3)
    x, v = rng.standard_normal((203, 2)), rng.standard_normal((203, 2))
    tape = w.hvp(square_sum_of_tanh(), "x")
    fused, apart = w.Program(tape), w.Program(tape, fuse=False)
    assert "element-wise chains fused" in fused.describe()
    assert "fused" not in apart.describe()
    assert np.array_equal(fused(x=x, x_dot=v)["x_bar_dot"], apart(x=x, x_dot=v)["x_bar_dot"])


def test_the_profile_from_python():
    p = w.Program(square_sum(), profile=True)
    p(x=np.ones((100, 2)))
    text = p.profile()
    assert "1 runs" in text and "square" in text
    with pytest.raises(w.UsageError, match="profile = true"):
        w.Program(square_sum()).profile()

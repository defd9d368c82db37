"""wengert: automatic differentiation on tapes from Python.

Record a function once, transform the tape (grad, hvp, laplacian, ...), plan it
as a Program and run it on NumPy arrays without copying them::

    import numpy, wengert
    rec = wengert.Recorder()
    x = rec.data("x", 3)
    rec.output("phi", wengert.sum_cols(wengert.tanh(x) * x))
    hv = wengert.Program(wengert.hvp(rec.finish(), "x"))(x=numpy.ones((1, 3)), x_dot=numpy.eye(3)[:1])
"""
from ._wengert import *  # noqa: F401,F403
from ._wengert import __version__  # noqa: F401

"""Numerical tools for `check` functions: generic methods, independent of any solver."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def central_gradient(f: Callable[[np.ndarray], float], at: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """The gradient of a scalar function of an array (any shape) by central differences:
    error about h^2 |f'''| + rounding |f| 1e-16 / h, so about 1e-9 with the default h."""
    at = np.asarray(at, dtype=float)
    grad = np.empty_like(at)
    for index in np.ndindex(at.shape):
        step = np.zeros_like(at)
        step[index] = h
        grad[index] = (f(at + step) - f(at - step)) / (2 * h)
    return grad

"""The coefficients of FastSeq's gate tanh (src/FastSeq/Kernels/GateActivations.cs, GateTanh).

tanh(x) ~ x * P(u) / Q(u), u = x^2, P of degree 5 and Q of degree 4 (q0 = 1), for least maximum relative error on
[0, BOUND]: Loeb's iteration, each step a linear programme (minimise d with |g Q - P| <= d g Q_previous at 5,000
Chebyshev points, g = tanh(x)/x computed in 30 digits). The coefficients are then rounded to float one at a time,
lowest degree first, each time refitting the ones not yet rounded, so that rounding one is made up by the others.
p0 is fixed at 1 (tanh x / x -> 1 at 0).

Needs numpy, scipy and mpmath (Debian: python3-scipy python3-mpmath). Run: python3 docs/fit_gate_tanh.py
"""
import mpmath
import numpy as np
from scipy.optimize import linprog

BOUND, P_DEGREE, Q_DEGREE = 9.25, 5, 4
mpmath.mp.dps = 30

x = BOUND * (1 - np.cos(np.linspace(0, np.pi, 5000))) / 2
x = np.concatenate([[1e-6], x[x > 1e-6]])
u = x * x
g = np.array([float(mpmath.tanh(mpmath.mpf(float(v))) / mpmath.mpf(float(v))) for v in x])
vp = np.vander(u, P_DEGREE + 1, increasing=True)
vq = np.vander(u, Q_DEGREE + 1, increasing=True)
q0 = P_DEGREE + 1  # index of q0 among the unknowns [p0..p5, q0..q4, d]


def fit(fixed):
    """Loeb's iteration with the unknowns in `fixed` held at their values; returns the unknowns and the error."""
    count = P_DEGREE + Q_DEGREE + 3
    bounds = [(None, None)] * count
    for index, value in {q0: 1.0, **fixed}.items():
        bounds[index] = (value, value)
    q_previous = np.ones_like(u)
    for _ in range(10):
        w = g * q_previous
        above = np.hstack([-vp, g[:, None] * vq, -w[:, None]])
        below = np.hstack([vp, -g[:, None] * vq, -w[:, None]])
        objective = np.zeros(count)
        objective[-1] = 1
        solution = linprog(objective, A_ub=np.vstack([above, below]), b_ub=np.zeros(2 * len(u)),
                           bounds=bounds, method="highs").x
        q_previous = vq @ solution[q0:q0 + Q_DEGREE + 1]
    return solution, solution[-1]


fixed = {0: 1.0}
solution, error = fit(fixed)
for index in list(range(1, P_DEGREE + 1)) + list(range(q0 + 1, q0 + Q_DEGREE + 1)):
    fixed[index] = float(np.float32(solution[index]))
    solution, error = fit(fixed)
print(f"relative error of the fit with float coefficients: {error:.3g}")
print("P:", ", ".join(f"{np.float32(fixed[k])!r}f" for k in range(P_DEGREE + 1)))
print("Q:", ", ".join(f"{np.float32(fixed.get(k, 1.0))!r}f" for k in range(q0, q0 + Q_DEGREE + 1)))

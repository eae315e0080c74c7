#!/usr/bin/python3
"""Writes the golden fixtures: inputs and NumPy-computed expected outputs.

Each case is a .ein program (an example or a program under programs/) with a
reference written here by hand in NumPy, independent of einc. The references
compute in float64 from float32 inputs; the expected outputs are stored as
float32. Layout, for a case NAME:

    tests/golden/NAME/in/TENSOR.npy     every input and param
    tests/golden/NAME/out/TENSOR.npy    every output
    tests/golden/cases.txt              one line per case: NAME MODEL [-D ...]

Run it with Debian's NumPy (apt-get install python3-numpy):
    /usr/bin/python3 tests/golden/gen.py [NAME...]
Given names, it rewrites only those cases' files (and cases.txt).
The test suite itself only reads the committed files.
"""
import os
import shutil
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))


def uniform(rng, shape, lo=-1.0, hi=1.0):
    return rng.uniform(lo, hi, size=shape).astype(np.float32)


def shifted(x, k, axis):
    """x read at index i - k along axis, zero outside (k may be negative)."""
    out = np.zeros_like(x)
    n = x.shape[axis]
    src = [slice(None)] * x.ndim
    dst = [slice(None)] * x.ndim
    if k >= 0:
        dst[axis] = slice(k, n)
        src[axis] = slice(0, max(n - k, 0))
    else:
        dst[axis] = slice(0, max(n + k, 0))
        src[axis] = slice(-k, n)
    out[tuple(dst)] = x[tuple(src)]
    return out


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def silu(x):
    return x * sigmoid(x)


def softplus(x):
    return np.logaddexp(0.0, x)


def gelu(x):
    return 0.5 * x * (1.0 + np.tanh(0.7978845608 * (x + 0.044715 * x ** 3)))


# ---- the examples ------------------------------------------------------------------


def matmul(rng):
    A, B = uniform(rng, (64, 48)), uniform(rng, (48, 32))
    return {"A": A, "B": B}, {"C": A.astype(np.float64) @ B}


def softmax(rng):
    x = uniform(rng, (32, 64), -4, 4)
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return {"x": x}, {"y": e / e.sum(axis=1, keepdims=True)}


def rmsnorm(rng):
    x, w = uniform(rng, (16, 64)), uniform(rng, (64,))
    x64 = x.astype(np.float64)
    inv = 1.0 / np.sqrt((x64 * x64).sum(axis=1) / 64 + 1e-5)
    return {"x": x, "w": w}, {"y": x64 * inv[:, None] * w}


def causal_conv(x, w):
    """xc[l, e] = sum_k x[l - k, e] * w[e, k]."""
    return sum(shifted(x, k, 0) * w[:, k] for k in range(w.shape[1]))


def conv1d_silu(rng):
    x, w, b = uniform(rng, (64, 32)), uniform(rng, (32, 4)), uniform(rng, (32,))
    xc = causal_conv(x.astype(np.float64), w) + b
    return {"x": x, "w": w, "b": b}, {"y": silu(xc)}


def selective_scan(u, dt, A, Bm, Cm, D):
    L, E = u.shape
    h = np.zeros((E, A.shape[1]))
    y = np.zeros((L, E))
    for l in range(L):
        h = np.exp(dt[l][:, None] * A) * h + (dt[l][:, None] * Bm[l][None, :] * u[l][:, None])
        y[l] = h @ Cm[l] + D * u[l]
    return y


def mamba_scan(rng):
    ins = {
        "u": uniform(rng, (64, 32)),
        "dt": uniform(rng, (64, 32), 0.0, 0.5),
        "Bm": uniform(rng, (64, 16)),
        "Cm": uniform(rng, (64, 16)),
        "A": uniform(rng, (32, 16), -1.0, -0.05),
        "Dskip": uniform(rng, (32,)),
    }
    f = {k: v.astype(np.float64) for k, v in ins.items()}
    y = selective_scan(f["u"], f["dt"], f["A"], f["Bm"], f["Cm"], f["Dskip"])
    return ins, {"y": y}


def mamba1_layer(rng):
    L, D, E, N, R, K = 64, 32, 64, 16, 2, 4
    s = 0.3
    ins = {
        "hs": uniform(rng, (L, D)),
        "Win_x": uniform(rng, (D, E), -s, s),
        "Win_z": uniform(rng, (D, E), -s, s),
        "conv_w": uniform(rng, (E, K), -0.5, 0.5),
        "conv_b": uniform(rng, (E,), -0.1, 0.1),
        "Wx_dt": uniform(rng, (E, R), -s, s),
        "Wx_B": uniform(rng, (E, N), -s, s),
        "Wx_C": uniform(rng, (E, N), -s, s),
        "Wdt": uniform(rng, (R, E), -s, s),
        "dt_bias": uniform(rng, (E,), -3.0, -1.0),
        "A_log": uniform(rng, (E, N), -1.0, 1.0),
        "Dskip": uniform(rng, (E,)),
        "Wout": uniform(rng, (E, D), -s, s),
    }
    f = {k: v.astype(np.float64) for k, v in ins.items()}
    x = f["hs"] @ f["Win_x"]
    z = f["hs"] @ f["Win_z"]
    xc = silu(causal_conv(x, f["conv_w"]) + f["conv_b"])
    dt = softplus((xc @ f["Wx_dt"]) @ f["Wdt"] + f["dt_bias"])
    Bm, Cm = xc @ f["Wx_B"], xc @ f["Wx_C"]
    A = -np.exp(f["A_log"])
    y = selective_scan(xc, dt, A, Bm, Cm, f["Dskip"])
    out = (y * silu(z)) @ f["Wout"]
    return ins, {"out": out}


def mamba2_ssd(rng):
    L, H, P, N = 64, 4, 16, 16
    ins = {
        "x": uniform(rng, (L, H, P)),
        "dt_raw": uniform(rng, (L, H)),
        "Bm": uniform(rng, (L, N)),
        "Cm": uniform(rng, (L, N)),
        "dt_bias": uniform(rng, (H,), -2.0, 0.0),
        "A_log": uniform(rng, (H,), -1.0, 1.0),
        "Dskip": uniform(rng, (H,)),
    }
    f = {k: v.astype(np.float64) for k, v in ins.items()}
    dt = softplus(f["dt_raw"] + f["dt_bias"])
    decay = np.exp(-dt * np.exp(f["A_log"]))
    s = np.zeros((H, P, N))
    y = np.zeros((L, H, P))
    for l in range(L):
        s = decay[l][:, None, None] * s + (
            dt[l][:, None, None] * f["Bm"][l][None, None, :] * f["x"][l][:, :, None])
        y[l] = s @ f["Cm"][l] + f["Dskip"][:, None] * f["x"][l]
    return ins, {"y": y}


def attention(rng):
    T, Dh = 64, 32
    q, k, v = uniform(rng, (T, Dh)), uniform(rng, (T, Dh)), uniform(rng, (T, Dh))
    s = (q.astype(np.float64) @ k.T) / np.sqrt(Dh)
    s = np.where(np.tril(np.ones((T, T), bool)), s, -np.inf)
    p = np.exp(s - s.max(axis=1, keepdims=True))
    return {"q": q, "k": k, "v": v}, {"o": (p @ v) / p.sum(axis=1, keepdims=True)}


def long_conv(f, x):
    """sum_t f[t, d] * x[l - t, d] over t in [0, L)."""
    return sum(shifted(x, t, 0) * f[t] for t in range(f.shape[0]))


def hyena(rng):
    L, D = 64, 32
    s = 0.3
    ins = {"u": uniform(rng, (L, D))}
    for name in ("Wv", "Wx1", "Wx2"):
        ins[name] = uniform(rng, (D, D), -s, s)
    ins["f1"] = uniform(rng, (L, D), -0.2, 0.2)
    ins["f2"] = uniform(rng, (L, D), -0.2, 0.2)
    ins["b1"] = uniform(rng, (D,))
    ins["b2"] = uniform(rng, (D,))
    ins["Wout"] = uniform(rng, (D, D), -s, s)
    f = {k: v.astype(np.float64) for k, v in ins.items()}
    v = f["u"] @ f["Wv"]
    x1, x2 = f["u"] @ f["Wx1"], f["u"] @ f["Wx2"]
    z1 = x1 * (long_conv(f["f1"], v) + f["b1"] * v)
    z2 = x2 * (long_conv(f["f2"], z1) + f["b2"] * z1)
    return ins, {"y": z2 @ f["Wout"]}


def dft_matrices(N):
    k = np.arange(N)[:, None]
    n = np.arange(N)[None, :]
    ang = 6.283185307179586 * k * n / N
    return np.cos(ang), np.sin(ang)


def dft(rng):
    x = uniform(rng, (32, 8))
    c, s = dft_matrices(32)
    return {"x": x}, {"re": c @ x, "im": -(s @ x)}


# ---- examples/mamba1: the Mamba-1 block, prefill and one generation step ---------------------
# Shared by both cases (one fixed seed, so that step's fixture continues
# prefill's sequence with the same params). Random params are scaled so that
# the activations stay O(1) whatever the sizes:
# - each weight ~ U(-1, 1) * sqrt(3 / fan_in), which keeps a stage's output
#   RMS at its input's (PyTorch's default bound 1 / sqrt(fan_in) shrinks it by
#   sqrt(3) per stage, and the mixer and the scan would then hide under the
#   residual and the skip, within the tolerance);
# - A_log = log(1..N) on every channel, the S4D-real init of mamba_simple.py;
# - dt_proj_b = softplus^-1(dt) with dt log-uniform in [1e-3, 1e-1], as
#   mamba_simple.py initializes it: softplus of the bias alone gives dt in
#   [1e-3, 1e-1], and the dt_proj term moves it by a factor of about e^+-1;
# - norm_w and Dskip ~ U(0.5, 1.5), around their init of ones.
MAMBA1 = dict(L=32, D=16, E=32, N=8, R=2, K=4)


def mamba1_params(rng):
    D, E, N, R, K = (MAMBA1[k] for k in "DENRK")

    def w(shape, fan_in):
        return uniform(rng, shape) * np.float32(np.sqrt(3.0 / fan_in))

    dt0 = np.exp(rng.uniform(np.log(1e-3), np.log(1e-1), size=E))
    return {
        "norm_w": uniform(rng, (D,), 0.5, 1.5),
        "in_proj_x": w((E, D), D),
        "in_proj_z": w((E, D), D),
        "conv_w": w((E, K), K),
        "conv_b": w((E,), K),
        "x_proj_dt": w((R, E), E),
        "x_proj_B": w((N, E), E),
        "x_proj_C": w((N, E), E),
        "dt_proj_w": w((E, R), R),
        "dt_proj_b": (dt0 + np.log(-np.expm1(-dt0))).astype(np.float32),
        "A_log": np.log(np.tile(np.arange(1, N + 1, dtype=np.float64), (E, 1))).astype(np.float32),
        "Dskip": uniform(rng, (E,), 0.5, 1.5),
        "out_proj_w": w((D, E), E),
    }


def rms_norm(x, w, eps=1e-5):
    return x / np.sqrt((x * x).mean(axis=-1, keepdims=True) + eps) * w


def mamba1_prefill_ref(hs, p):
    """The layer over a whole sequence: out, the last K-1 conv inputs, h[L-1]."""
    L, K = hs.shape[0], p["conv_w"].shape[1]
    hn = rms_norm(hs, p["norm_w"])
    x, z = hn @ p["in_proj_x"].T, hn @ p["in_proj_z"].T
    # PyTorch's conv1d with padding K-1, first L outputs: tap k reads x[l + k - (K-1)].
    xpad = np.concatenate([np.zeros((K - 1, x.shape[1])), x])
    x_conv = sum(xpad[k:k + L] * p["conv_w"][:, k] for k in range(K)) + p["conv_b"]
    u = silu(x_conv)
    delta = softplus((u @ p["x_proj_dt"].T) @ p["dt_proj_w"].T + p["dt_proj_b"])
    Bm, Cm = u @ p["x_proj_B"].T, u @ p["x_proj_C"].T
    A = -np.exp(p["A_log"])
    y = selective_scan(u, delta, A, Bm, Cm, p["Dskip"])
    # The scan's last state, recomputed here on its own.
    h = np.zeros_like(A)
    for l in range(L):
        h = np.exp(delta[l][:, None] * A) * h + delta[l][:, None] * Bm[l] * u[l][:, None]
    out = hs + (y * silu(z)) @ p["out_proj_w"].T
    return out, xpad[L:].T.copy(), h


def mamba1_step_ref(hs, conv_state, ssm_state, p):
    """One token, as mamba_simple.py's step: returns out and the new states."""
    hn = rms_norm(hs, p["norm_w"])
    x, z = p["in_proj_x"] @ hn, p["in_proj_z"] @ hn
    window = np.concatenate([conv_state, x[:, None]], axis=1)  # [E, K], oldest first
    u = silu((window * p["conv_w"]).sum(axis=1) + p["conv_b"])
    delta = softplus(p["dt_proj_w"] @ (p["x_proj_dt"] @ u) + p["dt_proj_b"])
    Bm, Cm = p["x_proj_B"] @ u, p["x_proj_C"] @ u
    dA = np.exp(delta[:, None] * -np.exp(p["A_log"]))
    h = dA * ssm_state + (delta * u)[:, None] * Bm[None, :]
    y = h @ Cm + p["Dskip"] * u
    out = hs + p["out_proj_w"] @ (y * silu(z))
    return out, window[:, 1:], h


_mamba1_cache = []


def mamba1_fixture():
    """Params, hs, and both cases' expected values; checks step against prefill."""
    if _mamba1_cache:
        return _mamba1_cache[0]
    rng = np.random.default_rng(2013)
    L, E, N, K = (MAMBA1[k] for k in "LENK")
    params = mamba1_params(rng)
    hs = uniform(rng, (L, MAMBA1["D"]))
    p = {k: v.astype(np.float64) for k, v in params.items()}
    hs64 = hs.astype(np.float64)
    out, conv_state, ssm_state = mamba1_prefill_ref(hs64, p)
    # Step, token by token from zero states, must reproduce prefill's rows
    # and its final states; the states after L-1 tokens feed step's case.
    cs, ss = np.zeros((E, K - 1)), np.zeros((E, N))
    for l in range(L):
        if l == L - 1:
            before = (cs, ss)
        o, cs, ss = mamba1_step_ref(hs64[l], cs, ss, p)
        assert np.allclose(o, out[l], rtol=1e-12, atol=1e-12), "step %d differs from prefill" % l
    assert np.allclose(cs, conv_state, rtol=1e-12, atol=1e-12)
    assert np.allclose(ss, ssm_state, rtol=1e-12, atol=1e-12)
    # Prefill over the first L-1 tokens ends in those same states.
    _, cs1, ss1 = mamba1_prefill_ref(hs64[:L - 1], p)
    assert np.allclose(cs1, before[0], rtol=1e-12, atol=1e-12)
    assert np.allclose(ss1, before[1], rtol=1e-12, atol=1e-12)
    # The states step starts from are stored as float32: recompute its
    # expected values from exactly those.
    cs_in, ss_in = before[0].astype(np.float32), before[1].astype(np.float32)
    step_out = mamba1_step_ref(hs64[L - 1], cs_in.astype(np.float64), ss_in.astype(np.float64), p)
    prefill = ({"hs": hs, **params}, {"out": out, "conv_state": conv_state, "ssm_state": ssm_state})
    step = ({"hs": hs[L - 1].copy(), "conv_state": cs_in, "ssm_state": ss_in, **params},
            {"out": step_out[0], "conv_state_new": step_out[1], "ssm_state_new": step_out[2]})
    _mamba1_cache.append((prefill, step))
    return _mamba1_cache[0]


def mamba1_prefill(rng):
    return mamba1_fixture()[0]


def mamba1_step(rng):
    return mamba1_fixture()[1]


# ---- programs covering the language ---------------------------------------------------------


def lets_and_div(rng):
    x = uniform(rng, (3, 4))
    y = x.reshape(12).astype(np.float64)
    z = (y + np.roll(y, -1)).reshape(3, 4)
    return {"x": x}, {"y": y, "z": z, "k": np.array([-4.0, 1.0])}


def scalars(rng):
    x, s = uniform(rng, (16,)), uniform(rng, ())
    total = x.astype(np.float64).sum() * s
    return {"x": x, "s": s}, {"total": np.array(total), "scaled": x * total / 16}


def padding(rng):
    x = uniform(rng, (10,)).astype(np.float64)

    def at(i):
        return x[i] if 0 <= i < 10 else 0.0

    y = np.array([at(l - 2) + 10 * at(l + 3) for l in range(10)])
    w = np.array([at((l - 3) // 2) - at(l * 2 - 5) for l in range(10)])
    return {"x": x.astype(np.float32)}, {"y": y, "w": w}


def implicit_sums(rng):
    x, W, b, u = uniform(rng, (3, 5)), uniform(rng, (5, 4)), uniform(rng, (4,)), uniform(rng, (5, 4))
    x64, W64, b64, u64 = (a.astype(np.float64) for a in (x, W, b, u))
    t = x64 @ W64 + b64
    s2 = (x64 @ W64).sum(axis=1) * 0.5
    nest = x64 @ (u64 + (W64 @ b64)[:, None])
    mx = np.maximum(x64, b64[np.arange(5) % 4][None, :]).sum(axis=1)
    return {"x": x, "W": W, "b": b, "u": u}, {"t": t, "s2": s2, "nest": nest, "mx": mx}


def reductions(rng):
    x = uniform(rng, (4, 5, 3))
    x64 = x.astype(np.float64)
    s = x64.sum(axis=(1, 2))
    return {"x": x}, {
        "s": s,
        "mx": x64.max(axis=1),
        "mn": x64.min(axis=(0, 2)),
        "pr": np.prod(1 + 0.1 * x64[:, 0, :], axis=1),
        "bc": np.repeat(s[:, None], 5, axis=1),
    }


def selects(rng):
    T = 6
    a, v = uniform(rng, (T, T)), uniform(rng, (T,))
    a64, v64 = a.astype(np.float64), v.astype(np.float64)
    i, j = np.meshgrid(np.arange(T), np.arange(T), indexing="ij")
    masked = np.where(j <= i, np.exp(a64), 0.0).sum(axis=1)
    cond = ((i < 2) | (j >= 4)) & ~(i == j)
    logic = np.where(cond, a64, np.where(i != j, -1.0, 2.5))
    with np.errstate(invalid="ignore"):
        safe = np.where(v64 > 0, np.log(np.abs(v64)), 0.0)
    return {"a": a, "v": v}, {"masked": masked, "logic": logic, "safe": safe}


def index_values(rng):
    x = uniform(rng, (8, 3))
    n, e = np.meshgrid(np.arange(8), np.arange(3), indexing="ij")
    c, s = dft_matrices(8)
    return {"x": x}, {"ramp": n * 10 + e + x, "re": c @ x, "im": -(s @ x)}


def recurrences(rng):
    L, E = 12, 3
    a, b, h0 = uniform(rng, (L, E)), uniform(rng, (L, E)), uniform(rng, (E,))
    a64, b64, h064 = (t.astype(np.float64) for t in (a, b, h0))
    h = np.zeros((L, E))
    prev = h064
    for l in range(L):
        prev = a64[l] * prev + b64[l]
        h[l] = prev
    f = np.zeros(L)
    for l in range(L):
        f1 = f[l - 1] if l >= 1 else 1.0
        f2 = f[l - 2] if l >= 2 else 1.0
        f[l] = 0.5 * f1 + 0.25 * f2 + b64[l, 0]
    g = np.zeros((L, E))
    for l in range(L):
        g[l] = 0.9 * (g[l - 3] if l >= 3 else 0.0) + a64[l]
    c = np.zeros((E, L))
    for l in range(L):
        c[:, l] = (c[:, l - 1] if l >= 1 else h064 * 2) * 0.5 + b64[l]
    return {"a": a, "b": b, "h0": h0}, {"h": h, "f": f, "g": g, "c": c}


def functions(rng):
    x, p = uniform(rng, (32,), -3, 3), uniform(rng, (32,), 0.1, 4)
    x64, p64 = x.astype(np.float64), p.astype(np.float64)
    return {"x": x, "p": p}, {
        "y_exp": np.exp(x64), "y_log": np.log(p64), "y_sqrt": np.sqrt(p64),
        "y_rsqrt": 1 / np.sqrt(p64), "y_sigmoid": sigmoid(x64), "y_silu": silu(x64),
        "y_softplus": softplus(x64 * 30), "y_tanh": np.tanh(x64),
        "y_relu": np.maximum(x64, 0), "y_sin": np.sin(x64), "y_cos": np.cos(x64),
        "y_gelu": gelu(x64), "y_abs": np.abs(x64), "y_max": np.maximum(x64, 0.25),
        "y_min": np.minimum(x64, -0.25), "y_pow": p64 ** 1.5,
        "y_arith": -x64 / p64 - (x64 - 1) * 2,
    }


def blocked(rng):
    x, a, b = uniform(rng, (8, 12, 5)), uniform(rng, (13, 16)), uniform(rng, (16, 9))
    w = uniform(rng, (12,))
    x64, w64 = x.astype(np.float64), w.astype(np.float64)[None, :, None]
    j = np.arange(12)[None, :, None]
    return {"x": x, "a": a, "b": b, "w": w}, {
        "smax": x64.max(axis=1),
        "smin": x64.min(axis=1),
        "sprod": np.prod(1 + 0.1 * x64, axis=1),
        "ssum": (x64 * j).sum(axis=1),
        "spad": (w64 * (shifted(x64, 2, 1) + shifted(x64, -3, 1))).sum(axis=1),
        "mm": a.astype(np.float64) @ b,
    }


CASES = [
    ("matmul", "examples/matmul.ein", matmul),
    ("softmax", "examples/softmax.ein", softmax),
    ("rmsnorm", "examples/rmsnorm.ein", rmsnorm),
    ("conv1d_silu", "examples/conv1d_silu.ein", conv1d_silu),
    ("mamba_scan", "examples/mamba_scan.ein", mamba_scan),
    ("mamba1_layer", "examples/mamba1_layer.ein", mamba1_layer),
    ("mamba2_ssd", "examples/mamba2_ssd.ein", mamba2_ssd),
    ("attention", "examples/attention.ein", attention),
    ("hyena", "examples/hyena.ein", hyena),
    ("dft", "examples/dft.ein", dft),
    ("lets_and_div", "tests/golden/programs/lets_and_div.ein", lets_and_div),
    ("scalars", "tests/golden/programs/scalars.ein", scalars),
    ("padding", "tests/golden/programs/padding.ein", padding),
    ("implicit_sums", "tests/golden/programs/implicit_sums.ein", implicit_sums),
    ("reductions", "tests/golden/programs/reductions.ein", reductions),
    ("selects", "tests/golden/programs/selects.ein", selects),
    ("index_values", "tests/golden/programs/index_values.ein", index_values),
    ("recurrences", "tests/golden/programs/recurrences.ein", recurrences),
    ("functions", "tests/golden/programs/functions.ein", functions),
    ("blocked", "tests/golden/programs/blocked.ein", blocked),
    ("mamba1_prefill", "examples/mamba1/prefill.ein", mamba1_prefill),
    ("mamba1_step", "examples/mamba1/step.ein", mamba1_step),
]


def main(argv):
    only = set(argv)
    unknown = only - {name for name, _, _ in CASES}
    if unknown:
        print("gen.py: no case named %s" % ", ".join(sorted(unknown)), file=sys.stderr)
        return 2
    with open(os.path.join(HERE, "cases.txt"), "w") as manifest:
        manifest.write("# NAME MODEL (written by gen.py)\n")
        for i, (name, model, ref) in enumerate(CASES):
            rng = np.random.default_rng(1000 + i)
            manifest.write("%s %s\n" % (name, model))
            if only and name not in only:
                continue
            ins, outs = ref(rng)
            case = os.path.join(HERE, name)
            shutil.rmtree(case, ignore_errors=True)
            os.makedirs(os.path.join(case, "in"))
            os.makedirs(os.path.join(case, "out"))
            for t, v in ins.items():
                np.save(os.path.join(case, "in", t + ".npy"), np.asarray(v, dtype=np.float32))
            for t, v in outs.items():
                np.save(os.path.join(case, "out", t + ".npy"), np.asarray(v, dtype=np.float32))
    print("wrote %d cases under %s" % (len(only) or len(CASES), os.path.relpath(HERE, TOP)))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

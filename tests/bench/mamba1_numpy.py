#!/usr/bin/python3
"""The Mamba-1 layer in NumPy against einc's CPU target (issue 13).

Two programs, at the mamba-130m shape (d_model 768, d_inner 1536, d_state 16,
dt_rank 48, d_conv 4) and L=2048 unless -D says otherwise:

  layer    examples/mamba1_layer.ein   (the mixer; weights [in, out])
  prefill  examples/mamba1/prefill.ein (RMSNorm, the mixer, the residual and
                                        the returned conv and SSM states;
                                        weights [out, in], as in PyTorch)

Each NumPy function computes what the .ein computes, on the same tensors in
the same layouts: matrix products through OpenBLAS (run it with
OPENBLAS_NUM_THREADS=1), everything elementwise vectorised, and the selective
scan as a Python loop over l vectorised over (e, n), as the mamba reference
(selective_scan_ref) writes it. Only the compute is timed.

The inputs are einc's seeded values (runtime/rng.h: splitmix64 keyed by seed
and tensor name, uniform in [-1, 1)), the weights scaled by 1/sqrt(fan_in) so
that nothing overflows; they are written as .npy files and given to einc with
--input, so that both sides compute on the same numbers. Each einc output is
compared with NumPy's as a check that the two compute the same function.

usage: mamba1_numpy.py [--einc EINC --src SRCDIR] [--model layer|prefill]...
                       [-D NAME=VALUE]... [--runs N] [--seed S]
Without --einc only the NumPy times are printed.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import numpy as np  # noqa: E402  (after the thread count is set)

F32 = np.float32
MAMBA_130M = {"L": 2048, "D": 768, "E": 1536, "N": 16, "R": 48, "K": 4}
EIN = {"layer": "examples/mamba1_layer.ein", "prefill": "examples/mamba1/prefill.ein"}


def fnv1a64(name):
    h = 0xCBF29CE484222325
    for b in name.encode():
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def rng_fill(shape, seed, name):
    """runtime/rng.h: the values einc fills the tensor NAME with."""
    n = int(np.prod(shape))
    with np.errstate(over="ignore"):
        state0 = np.uint64((seed ^ fnv1a64(name)) & 0xFFFFFFFFFFFFFFFF)
        i = np.arange(1, n + 1, dtype=np.uint64)
        z = state0 + i * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z ^= z >> np.uint64(31)
    k = (z >> np.uint64(40)).astype(np.int64) - (1 << 23)
    return (k.astype(F32) / F32(8388608.0)).reshape(shape)


def silu(x):
    return x / (F32(1) + np.exp(-x))


def softplus(x):
    return np.logaddexp(F32(0), x)


def scan(dA, dBu, Cm):
    """h[l] = dA[l] * h[l-1] + dBu[l]; y[l, e] = sum(n: h[l, e, n] * Cm[l, n])."""
    L, E, N = dA.shape
    h = np.zeros((E, N), F32)
    y = np.empty((L, E), F32)
    for l in range(L):
        h *= dA[l]
        h += dBu[l]
        y[l] = h @ Cm[l]
    return y, h


# Each model: its tensors (name, shape, fan-in for the scale or None) and the
# function. Shapes are given as functions of the lets.
def layer_tensors(s):
    L, D, E, N, R, K = (s[k] for k in "LDENRK")
    return [("hs", (L, D), None), ("Win_x", (D, E), D), ("Win_z", (D, E), D),
            ("conv_w", (E, K), K), ("conv_b", (E,), None), ("Wx_dt", (E, R), E),
            ("Wx_B", (E, N), E), ("Wx_C", (E, N), E), ("Wdt", (R, E), R),
            ("dt_bias", (E,), None), ("A_log", (E, N), None), ("Dskip", (E,), None),
            ("Wout", (E, D), E)]


def layer(t, s):
    """examples/mamba1_layer.ein"""
    L, K = s["L"], s["K"]
    hs = t["hs"]
    x = hs @ t["Win_x"]
    z = hs @ t["Win_z"]
    # xc[l, e] = silu(sum(k: x[l - k, e] * conv_w[e, k]) + conv_b[e]), x[<0] = 0
    xp = np.concatenate([np.zeros((K - 1, x.shape[1]), F32), x])
    acc = t["conv_b"] + xp[K - 1:K - 1 + L] * t["conv_w"][:, 0]
    for k in range(1, K):
        acc += xp[K - 1 - k:K - 1 - k + L] * t["conv_w"][:, k]
    xc = silu(acc)
    dtr = xc @ t["Wx_dt"]
    Bm = xc @ t["Wx_B"]
    Cm = xc @ t["Wx_C"]
    dt = softplus(dtr @ t["Wdt"] + t["dt_bias"])
    dA = np.exp(dt[:, :, None] * -np.exp(t["A_log"]))
    dBu = (dt * xc)[:, :, None] * Bm[:, None, :]
    y, _ = scan(dA, dBu, Cm)
    y += t["Dskip"] * xc
    yg = y * silu(z)
    return {"out": yg @ t["Wout"]}


def prefill_tensors(s):
    L, D, E, N, R, K = (s[k] for k in "LDENRK")
    return [("hs", (L, D), None), ("norm_w", (D,), None), ("in_proj_x", (E, D), D),
            ("in_proj_z", (E, D), D), ("conv_w", (E, K), K), ("conv_b", (E,), None),
            ("x_proj_dt", (R, E), E), ("x_proj_B", (N, E), E), ("x_proj_C", (N, E), E),
            ("dt_proj_w", (E, R), R), ("dt_proj_b", (E,), None), ("A_log", (E, N), None),
            ("Dskip", (E,), None), ("out_proj_w", (D, E), E)]


def prefill(t, s):
    """examples/mamba1/prefill.ein"""
    L, D, K = s["L"], s["D"], s["K"]
    hs = t["hs"]
    ms = np.einsum("ld,ld->l", hs, hs) / F32(D)
    hn = hs * (F32(1) / np.sqrt(ms + F32(1e-5)))[:, None] * t["norm_w"]
    x = hn @ t["in_proj_x"].T
    z = hn @ t["in_proj_z"].T
    # x_conv[l, e] = sum(k: conv_w[e, k] * x[l + k - (K - 1), e]) + conv_b[e]
    xp = np.concatenate([np.zeros((K - 1, x.shape[1]), F32), x])
    acc = t["conv_b"] + xp[0:L] * t["conv_w"][:, 0]
    for k in range(1, K):
        acc += xp[k:k + L] * t["conv_w"][:, k]
    u = silu(acc)
    dt_low = u @ t["x_proj_dt"].T
    B = u @ t["x_proj_B"].T
    C = u @ t["x_proj_C"].T
    delta = softplus(dt_low @ t["dt_proj_w"].T + t["dt_proj_b"])
    A = -np.exp(t["A_log"])
    dA = np.exp(delta[:, :, None] * A)
    dBu = (delta * u)[:, :, None] * B[:, None, :]
    y, h = scan(dA, dBu, C)
    y += t["Dskip"] * u
    yz = y * silu(z)
    out = hs + yz @ t["out_proj_w"].T
    # conv_state[e, j] = x[L - (K - 1) + j, e] (0 before the sequence)
    conv_state = np.ascontiguousarray(xp[L:L + K - 1].T)
    return {"out": out, "conv_state": conv_state, "ssm_state": h}


MODELS = {"layer": (layer_tensors, layer), "prefill": (prefill_tensors, prefill)}


def make_inputs(model, sizes, seed):
    t = {}
    for name, shape, fan_in in MODELS[model][0](sizes):
        v = rng_fill(shape, seed, name)
        if fan_in:
            v *= F32(1 / np.sqrt(fan_in))
        t[name] = v
    return t


def time_numpy(model, t, sizes, runs):
    fn = MODELS[model][1]
    ms, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn(t, sizes)
        ms.append(1e3 * (time.perf_counter() - t0))
    return ms, result


def time_einc(einc, ein, sizes, fusion, indir, names, outdir, runs, seed):
    cmd = [einc, "run", ein, "--target", "cpu", "--fusion", fusion, "--seed", str(seed),
           "--outdir", outdir]
    for k, v in sizes.items():
        cmd += ["-D", "%s=%d" % (k, v)]
    for n in names:
        cmd += ["--input", "%s=%s" % (n, os.path.join(indir, n + ".npy"))]
    ms, cms = [], []
    for _ in range(runs):
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        m = re.search(r"compiled in ([0-9.]+) ms, ran in ([0-9.]+) ms", p.stderr)
        if p.returncode != 0 or not m:
            sys.exit("mamba1_numpy.py: %s failed (%d):\n%s" % (" ".join(cmd), p.returncode,
                                                                p.stderr))
        cms.append(float(m.group(1)))
        ms.append(float(m.group(2)))
    return ms, cms, cmd


def rel_err(got, ref):
    scale = float(np.max(np.abs(ref))) or 1.0
    return float(np.max(np.abs(got.astype(np.float64) - ref))) / scale


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--einc", help="the einc binary (without it: NumPy only)")
    ap.add_argument("--src", default=os.path.join(os.path.dirname(__file__), "..", ".."),
                    help="the source tree (for examples/)")
    ap.add_argument("--model", action="append", choices=sorted(MODELS),
                    help="layer, prefill (default: both)")
    ap.add_argument("-D", action="append", default=[], metavar="NAME=VALUE")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    sizes = dict(MAMBA_130M)
    for d in a.D:
        k, v = d.split("=", 1)
        if k not in sizes:
            ap.error("unknown let %s" % k)
        sizes[k] = int(v)
    models = a.model or ["layer", "prefill"]
    lets = " ".join("%s=%d" % kv for kv in sizes.items())
    print("Mamba-1 on the CPU, %s; medians of %d runs; NumPy %s, OPENBLAS_NUM_THREADS=%s"
          % (lets, a.runs, np.__version__, os.environ.get("OPENBLAS_NUM_THREADS")))
    if a.einc:
        print("| %-40s | %10s | %10s | %10s | %15s | %15s | %11s |"
              % ("program", "numpy ms", "none ms", "auto ms", "none/numpy", "auto/numpy",
                 "max rel err"))
        print("|%s|%s|%s|%s|%s|%s|%s|" % ("-" * 42, "-" * 12, "-" * 12, "-" * 12, "-" * 17,
                                          "-" * 17, "-" * 13))
    else:
        print("| %-40s | %10s |" % ("program", "numpy ms"))
        print("|%s|%s|" % ("-" * 42, "-" * 12))
    notes = []
    for model in models:
        t = make_inputs(model, sizes, a.seed)
        np_ms, ref = time_numpy(model, t, sizes, a.runs)
        np_med = statistics.median(np_ms)
        if not a.einc:
            print("| %-40s | %10.1f |" % (EIN[model], np_med))
            continue
        ein = os.path.join(a.src, EIN[model])
        with tempfile.TemporaryDirectory(prefix="einc-mamba1-cpu-") as d:
            for n, v in t.items():
                np.save(os.path.join(d, n + ".npy"), v)
            row, err = {}, 0.0
            for fusion in ("none", "auto"):
                out = os.path.join(d, fusion)
                os.mkdir(out)
                ms, cms, cmd = time_einc(a.einc, ein, sizes, fusion, d, list(t), out, a.runs,
                                         a.seed)
                row[fusion] = statistics.median(ms)
                notes.append("  %s --fusion %s: runs %s ms, JIT compile %s ms"
                             % (EIN[model], fusion, ", ".join("%.1f" % x for x in ms),
                                ", ".join("%.0f" % x for x in cms)))
                for name, r in ref.items():
                    err = max(err, rel_err(np.load(os.path.join(out, name + ".npy")), r))
            notes.append("  %s numpy: runs %s ms" % (EIN[model],
                                                     ", ".join("%.1f" % x for x in np_ms)))
        print("| %-40s | %10.1f | %10.1f | %10.1f | %15.2f | %15.2f | %11.1e |"
              % (EIN[model], np_med, row["none"], row["auto"], row["none"] / np_med,
                 row["auto"] / np_med, err))
    if a.einc:
        print("einc ms: 'ran in' of einc run --target cpu --input ... (the JIT compile not"
              " included); ratio > 1: einc slower than NumPy; max rel err: max |einc - numpy|"
              " / max |numpy| over every output, both fusion modes")
        for n in notes:
            print(n)


if __name__ == "__main__":
    main()

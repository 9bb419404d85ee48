#!/usr/bin/python3
"""PyTorch peer of `ravine bench`: the same update loop Ravine times, in PyTorch.

Per step: gather a shuffled batch on the host (index into the host tensor), copy it to the device,
forward (Linear + ReLU ..., Linear), softmax cross-entropy, backward, one Adam update (lr 1e-3,
PyTorch defaults otherwise). Full batches only; `--warmup` untimed steps, then `--steps` timed ones.
Evaluation is not timed because it is not run.

Modes: `eager`, and on CUDA `compile` = torch.compile(mode="reduce-overhead") of model+loss, which
compiles forward and backward and replays them as CUDA graphs, with the optimizer step compiled
(default mode, fused by inductor) where the PyTorch version allows it (torch >= 2.2): that is what
the fused single-launch Adam on Ravine's side is compared against. Compile mode warms up for at
least 20 steps (compilation and graph recording).

Data: `fashion-mnist` reads the IDX files (z-scored with training-set statistics, as Ravine does),
`synthetic` makes standard normal features and uniform labels of the same shapes (the values do
not change the speed of a dense MLP step).

Prints one JSON object on the last line of stdout. With `--profile` on CUDA it also reports how the
step time splits into GEMM kernels, elementwise kernels, optimizer kernels and launches/gaps,
from torch.profiler kernel times. With `--serve` it sets up once (data, model, compilation) and then
answers each `measure WARMUP STEPS PROFILE` line on stdin with one JSON line, so that repeats
alternating with Ravine do not pay torch.compile again.

Usage (CPU):  /usr/bin/python3 bench/torch_bench.py --device cpu --threads 1 --widths 784-256-10 --batch-size 128
Usage (GPU):  python3 bench/torch_bench.py --device cuda --mode compile --widths 784-256-10 --batch-size 128
"""
import argparse
import gzip
import json
import os
import struct
import sys
import time


def _threads_from_argv():
    for i, arg in enumerate(sys.argv):
        if arg == "--threads" and i + 1 < len(sys.argv):
            return sys.argv[i + 1]
        if arg.startswith("--threads="):
            return arg.split("=", 1)[1]
    return None


# torch.set_num_threads sets PyTorch's own (OpenMP) threads, but the BLAS it calls for matrix products (Debian:
# OpenBLAS, pthreads build) keeps its own pool sized to every core. Pin that pool too, before numpy or torch loads
# OpenBLAS (it reads the variable once, when it loads), so "T threads" means T threads for the matrix products as
# on Ravine's side (--threads T -> OpenBLAS threads).
_T = _threads_from_argv()
if _T and int(_T) > 0:
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = _T

import numpy as np  # noqa: E402  (after the thread variables, on purpose)
import torch  # noqa: E402


def read_idx(path):
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    ndim = raw[3]
    dims = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    return np.frombuffer(raw[4 + 4 * ndim:], dtype=np.uint8).reshape(dims)


def fashion_mnist_dir():
    return os.environ.get("RAVINE_FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")


def load_data(source, limit, seed):
    if source == "auto":
        source = ("fashion-mnist" if os.path.exists(os.path.join(fashion_mnist_dir(), "train-images-idx3-ubyte.gz"))
                  else "synthetic")
    if source == "fashion-mnist":
        d = fashion_mnist_dir()
        x = read_idx(f"{d}/train-images-idx3-ubyte.gz").reshape(-1, 784).astype(np.float32) / np.float32(255.0)
        y = read_idx(f"{d}/train-labels-idx1-ubyte.gz").astype(np.int64)
        if limit:
            x, y = x[:limit], y[:limit]
        x64 = x.astype(np.float64)
        mean = x64.mean(axis=0)
        std = x64.std(axis=0)
        std[std < 1e-6] = 1.0
        x = ((x64 - mean) / std).astype(np.float32)
    else:
        n = limit or 60000
        rng = np.random.default_rng(seed)
        x = rng.standard_normal((n, 784), dtype=np.float32)
        y = rng.integers(0, 10, size=n, dtype=np.int64)
    return source, torch.from_numpy(np.ascontiguousarray(x)), torch.from_numpy(y)


def build_model(widths):
    layers = []
    for k in range(len(widths) - 1):
        layers.append(torch.nn.Linear(widths[k], widths[k + 1]))
        if k < len(widths) - 2:
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


def classify(name):
    """Kernel name -> gemm / optimizer / elementwise (CUDA kernels seen in PyTorch's MLP training step)."""
    n = name.lower()
    if any(s in n for s in ("gemm", "gemv", "cutlass", "sm80_xmma", "sm90_xmma", "ampere_", "hopper_", "cublas",
                            "splitk", "nvjet")):
        return "gemm"
    if any(s in n for s in ("adam", "multi_tensor", "foreach", "fused_adam")):
        return "optimizer"
    return "elementwise"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    p.add_argument("--mode", choices=["eager", "compile"], default="eager")
    p.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (0 = leave PyTorch's default)")
    p.add_argument("--widths", default="784-256-10")
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--warmup", type=int, default=20)
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--data", default="auto", choices=["auto", "fashion-mnist", "synthetic"])
    p.add_argument("--limit", type=int, default=0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--profile", action="store_true", help="CUDA only: kernel-time breakdown via torch.profiler")
    p.add_argument("--serve", action="store_true",
                   help="set up once, then answer 'measure WARMUP STEPS PROFILE' lines on stdin with a JSON line each")
    a = p.parse_args()

    if a.threads > 0:
        torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    dev = torch.device(a.device)
    widths = [int(w) for w in a.widths.split("-")]
    source, x_host, y_host = load_data(a.data, a.limit, a.seed)
    if x_host.shape[1] != widths[0]:
        sys.exit(f"torch_bench: data has {x_host.shape[1]} features, model input {widths[0]}")
    if a.device == "cuda":
        # Pinned host memory so the per-step copy is a real asynchronous DMA, as a tuned PyTorch input loop does.
        x_host = x_host.pin_memory()
        y_host = y_host.pin_memory()
    n = x_host.shape[0]
    B = a.batch_size
    full_batches = n // B
    if full_batches == 0:
        sys.exit(f"torch_bench: batch size {B} is larger than the {n} examples")

    model = build_model(widths).to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()

    class LossOfBatch(torch.nn.Module):
        """Model and loss in one module, so torch.compile captures the forward and (through AOTAutograd) the
        backward of both in one graph."""

        def __init__(self, net):
            super().__init__()
            self.net = net

        def forward(self, xb, yb):
            return loss_fn(self.net(xb), yb)

    step_loss = LossOfBatch(model)

    def opt_step():
        opt.step()
        opt.zero_grad(set_to_none=False)

    if a.mode == "compile":
        if not hasattr(torch, "compile"):
            sys.exit(f"torch_bench: torch {torch.__version__} has no torch.compile (needs PyTorch >= 2.0)")
        # reduce-overhead = inductor kernels replayed as CUDA graphs: forward and backward.
        step_loss = torch.compile(step_loss, mode="reduce-overhead")
        major, minor = (int(v) for v in torch.__version__.split(".")[:2])
        if (major, minor) >= (2, 2):
            # The optimizer step compiled as PyTorch's tutorial does it (inductor fuses Adam's foreach ops);
            # gradients live outside the CUDA-graph pool, so it stays in the default mode.
            opt_step = torch.compile(opt_step, fullgraph=False)
        # Compilation and CUDA-graph recording happen in the first calls: keep them out of the timing.
        a.warmup = max(a.warmup, 20)

    def fwd_bwd(xb, yb):
        loss = step_loss(xb, yb)
        loss.backward()
        return loss

    gen = torch.Generator().manual_seed(a.seed)
    state = {"step": 0, "perm": None, "epoch": -1}
    xb_host = torch.empty((B, widths[0]), dtype=torch.float32)
    yb_host = torch.empty((B,), dtype=torch.int64)
    if a.device == "cuda":
        xb_host = xb_host.pin_memory()
        yb_host = yb_host.pin_memory()

    def one_step():
        s = state["step"]
        epoch, bi = divmod(s, full_batches)
        if epoch != state["epoch"]:
            state["perm"] = torch.randperm(n, generator=gen)
            state["epoch"] = epoch
        idx = state["perm"][bi * B:(bi + 1) * B]
        torch.index_select(x_host, 0, idx, out=xb_host)
        torch.index_select(y_host, 0, idx, out=yb_host)
        xb = xb_host.to(dev, non_blocking=True)
        yb = yb_host.to(dev, non_blocking=True)
        fwd_bwd(xb, yb)
        opt_step()
        state["step"] = s + 1

    def sync():
        if a.device == "cuda":
            torch.cuda.synchronize()

    def measure(warmup, steps, profile):
        for _ in range(warmup):
            one_step()
        sync()
        t0 = time.perf_counter()
        for _ in range(steps):
            one_step()
        sync()
        seconds = time.perf_counter() - t0
        ms = seconds * 1e3 / steps
        out = {
            "peer": "pytorch",
            "torch_version": torch.__version__,
            "device": torch.cuda.get_device_name(0) if a.device == "cuda" else "cpu",
            "mode": a.mode,
            "threads": torch.get_num_threads(),
            "data": source,
            "widths": a.widths,
            "batch_size": B,
            "steps": steps,
            "samples_per_second": steps * B / seconds,
            "ms_per_step": ms,
        }
        if profile and a.device == "cuda":
            from torch.profiler import ProfilerActivity, profile as torch_profile
            prof_steps = min(steps, 50)
            sync()
            with torch_profile(activities=[ProfilerActivity.CUDA]) as prof:
                for _ in range(prof_steps):
                    one_step()
                sync()
            shares = {"gemm": 0.0, "elementwise": 0.0, "optimizer": 0.0}
            for evt in prof.key_averages():
                t = getattr(evt, "self_cuda_time_total", 0) or getattr(evt, "self_device_time_total", 0)
                if t and evt.device_type is not None and "cuda" in str(evt.device_type).lower():
                    shares[classify(evt.key)] += t / 1e3 / prof_steps
            out["kernel_ms_per_step"] = shares
            out["gaps_ms_per_step"] = max(0.0, ms - sum(shares.values()))
        print(json.dumps(out), flush=True)

    if not a.serve:
        measure(a.warmup, a.steps, a.profile)
        return
    # Serve: set-up (data, model, compilation and CUDA-graph recording in the warm-up) is paid once; each request
    # "measure WARMUP STEPS PROFILE" (PROFILE 0 or 1) on stdin prints one JSON line; "quit" or end of input ends.
    for _ in range(a.warmup):
        one_step()
    sync()
    print(json.dumps({"ready": True, "torch_version": torch.__version__}), flush=True)
    for line in sys.stdin:
        words = line.split()
        if not words or words[0] == "quit":
            break
        if words[0] != "measure" or len(words) != 4:
            sys.exit(f"torch_bench: unknown request {line.strip()!r} (expected 'measure WARMUP STEPS PROFILE')")
        measure(int(words[1]), int(words[2]), words[3] == "1")


if __name__ == "__main__":
    main()

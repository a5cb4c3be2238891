"""PyTorch twin of gan's default model, for `make bench` (bench/bench.c runs it).

Same architecture (G 100-256-512-1024-784 leaky ReLU 0.2 + tanh, D
784-1024-512-256-1 leaky ReLU 0.2 + logit), same init (he_xavier: He normal
for leaky-ReLU layers, Xavier normal for the output layers, zero biases),
Adam(2e-4, betas 0.5/0.999), BCE with logits, batch, thread count and step
structure (G forward once; D on real and on detached fake; G step through
the updated D), written the way the PyTorch DCGAN tutorial writes it. The
dataset stays uint8 and one batch at a time becomes float, as in gan.

--precision=bf16 runs the forward passes under
torch.autocast("cpu", dtype=torch.bfloat16), PyTorch's own mixed precision:
the Linear layers' products take bf16 operands (their backward follows the
forward's casts), while the weights, Adam and the loss stay fp32, as in
gan's --precision=bf16.

Prints one line: RESULT images_per_sec=<float> peak_rss_mb=<float>
"""
import argparse
import contextlib
import gzip
import os
import resource
import sys
import time

# PyTorch's OpenMP threads spin while its BLAS threads (OpenBLAS pthreads in
# Debian's build) work: measured here, 2 threads ran at ~650 images/s with
# the default wait policy and ~2000 with a passive one. The twin gets its
# best setting; it must be set before torch loads libgomp.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

# PyTorch frees and reallocates its large tensors every step; with glibc's
# default thresholds each one is a fresh mmap whose pages fault in again
# (memset of new pages, page faults in the kernel: measured here, 819
# images/s at 1 thread against 1932 with the thresholds raised). gan
# allocates nothing in its step, so the twin gets the same: glibc reads
# the setting at start, hence the re-exec.
if "GLIBC_TUNABLES" not in os.environ:
    os.environ["GLIBC_TUNABLES"] = ("glibc.malloc.mmap_threshold=4294967295:"
                                    "glibc.malloc.trim_threshold=4294967295")
    os.execv(sys.executable, [sys.executable] + sys.argv)

import numpy as np
import torch
import torch.nn as nn


def load_images(data_dir):
    for name in ("train-images-idx3-ubyte.gz", "train-images-idx3-ubyte"):
        path = os.path.join(data_dir, name)
        if os.path.exists(path):
            opener = gzip.open if name.endswith(".gz") else open
            with opener(path, "rb") as f:
                raw = f.read()
            n = int.from_bytes(raw[4:8], "big")
            return torch.from_numpy(np.frombuffer(raw, np.uint8, offset=16).reshape(n, 784).copy())
    return torch.randint(0, 256, (60000, 784), dtype=torch.uint8)


def mlp(sizes, out_act):
    layers = []
    for i in range(len(sizes) - 1):
        lin = nn.Linear(sizes[i], sizes[i + 1])
        last = i == len(sizes) - 2
        if last:
            nn.init.xavier_normal_(lin.weight)
        else:
            nn.init.kaiming_normal_(lin.weight, a=0.2, nonlinearity="leaky_relu")
        nn.init.zeros_(lin.bias)
        layers.append(lin)
        layers.append(out_act if last else nn.LeakyReLU(0.2))
    return nn.Sequential(*layers)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--data", default="data/mnist")
    ap.add_argument("--precision", choices=("fp32", "bf16"), default="fp32")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(1)
    images = load_images(args.data)
    g = mlp([100, 256, 512, 1024, 784], nn.Tanh())
    d = mlp([784, 1024, 512, 256, 1], nn.Identity())
    g_opt = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999), eps=1e-8)
    d_opt = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999), eps=1e-8)
    bce = nn.BCEWithLogitsLoss()
    b = args.batch
    ones = torch.ones(b, 1)
    zeros = torch.zeros(b, 1)
    order = torch.randperm(images.shape[0])

    def products():
        if args.precision == "bf16":
            return torch.autocast("cpu", dtype=torch.bfloat16)
        return contextlib.nullcontext()

    # The losses take fp32 logits in both modes (autocast would run BCE in
    # fp32 anyway); only the forward passes sit inside the context.
    def step(i):
        start = (i * b) % (images.shape[0] - b)
        real = images[order[start:start + b]].float() / 127.5 - 1.0
        z = torch.randn(b, 100)
        with products():
            fake = g(z)
        d_opt.zero_grad(set_to_none=True)
        with products():
            logits_real, logits_fake = d(real), d(fake.detach())
        loss_d = bce(logits_real.float(), ones) + bce(logits_fake.float(), zeros)
        loss_d.backward()
        d_opt.step()
        g_opt.zero_grad(set_to_none=True)
        with products():
            logits = d(fake)
        loss_g = bce(logits.float(), ones)
        loss_g.backward()
        g_opt.step()

    for i in range(args.warmup):
        step(i)
    t0 = time.perf_counter()
    for i in range(args.steps):
        step(args.warmup + i)
    seconds = time.perf_counter() - t0
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(f"RESULT images_per_sec={args.steps * b / seconds:.1f} peak_rss_mb={rss_mb:.1f}")


if __name__ == "__main__":
    main()

"""Times the PyTorch net: torch_run.py NET WEIGHTS.npz INPUT.f32 OUTPUT.f32 THREADS RUNS.
Prints "median MS" after warm-up (best mode: torch.jit.optimize_for_inference)."""
import sys
import time

import numpy as np
import torch

import peers

net_name, weights, inp, outp, threads, runs = sys.argv[1:7]
torch.set_num_threads(int(threads))
w = dict(np.load(weights))
model = peers.to_torch(peers.NETS[net_name](w))
x = torch.from_numpy(np.fromfile(inp, np.float32).reshape(1, 3, 224, 224))
with torch.no_grad():
    m = torch.jit.optimize_for_inference(torch.jit.script(model))
    for _ in range(5):
        y = m(x)
    times = []
    for _ in range(int(runs)):
        t0 = time.perf_counter()
        y = m(x)
        times.append((time.perf_counter() - t0) * 1e3)
times.sort()
y.numpy().astype(np.float32).tofile(outp)
print("median %.3f" % times[len(times) // 2])

"""Times an ONNX model with ONNX Runtime (the venv's onnxruntime):
ort_run.py MODEL.onnx INPUT.f32 OUTPUT.f32 THREADS RUNS
Prints "median MS" after 5 warm-up runs; writes the first output as raw float32."""
import sys
import time

import numpy as np
import onnxruntime as ort

model, inp, outp, threads, runs = sys.argv[1:6]
so = ort.SessionOptions()
so.intra_op_num_threads = int(threads)
so.inter_op_num_threads = 1
so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
sess = ort.InferenceSession(model, so, providers=['CPUExecutionProvider'])
x = np.fromfile(inp, np.float32).reshape(1, 3, 224, 224)
feeds = {sess.get_inputs()[0].name: x}
for _ in range(5):
    y = sess.run(None, feeds)
times = []
for _ in range(int(runs)):
    t0 = time.perf_counter()
    y = sess.run(None, feeds)
    times.append((time.perf_counter() - t0) * 1e3)
times.sort()
np.ascontiguousarray(y[0], np.float32).tofile(outp)
print('median %.3f' % times[len(times) // 2])

"""Times TensorFlow itself on a .slim model: the graph TF 2.15 (tf.compat.v1 graph mode,
tf_slim) builds from the file through the oracle shim (tests/oracle/shim.py), its
variables restored with TF's Saver from the checkpoint slimc runs.
tf_run.py FILE.slim INCLUDE_DIR CKPT INPUT.npy OUTPUT.f32 THREADS RUNS
Prints "median MS" after 5 warm-up runs; writes the logits as raw float32."""
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'tests', 'oracle'))
import shim  # noqa: E402

import numpy as np  # noqa: E402

slim, inc, ckpt, inp, outp, threads, runs = sys.argv[1:8]
try:
    b = shim.build(slim, includes=[inc])
except (shim.ShimError, shim.SlimError) as e:
    sys.exit('tf_run: %s: %s' % (slim, e))
v1 = b.v1
(_, x_ph), = b.inputs
logits = dict(b.outputs)['logits']
cfg = v1.ConfigProto(intra_op_parallelism_threads=int(threads), inter_op_parallelism_threads=1)
with b.graph.as_default():
    saver = v1.train.Saver(var_list=dict(b.restore))
with v1.Session(graph=b.graph, config=cfg) as sess:
    saver.restore(sess, ckpt)
    run = sess.make_callable(logits, feed_list=[x_ph])
    x = np.load(inp)
    for _ in range(5):
        y = run(x)
    times = []
    for _ in range(int(runs)):
        t0 = time.perf_counter()
        y = run(x)
        times.append((time.perf_counter() - t0) * 1e3)
times.sort()
np.ascontiguousarray(y, np.float32).tofile(outp)
print('median %.3f' % times[len(times) // 2])

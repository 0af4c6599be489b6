"""slimc against ONNX Runtime and TensorFlow on mobilenet_v1 and resnet_v1_50 (see bench/run).

bench.py BUILD_DIR WORK_DIR [--rounds=N] [--models=a,b]   (run by the tests' venv Python)

Per model: compiles the .slim with slimc, writes random weights with `slim-ckpt init`
(batch-norm statistics then perturbed, so folding is exercised), exports the same
values to ONNX (peers.py) and gives TensorFlow the same checkpoint and .slim file
(tf_run.py: TF's own graph through the oracle shim), checks that the three outputs
agree, then times them in rounds, alternating the programs, at 1 and 2 threads.
Each timing is the median of RUNS inferences after warm-up inside one process; the
figure printed is the median over the rounds. The sgemm peak (OpenBLAS through
numpy) and the largest ResNet convolutions (bench/conv_bench) are timed in the same
rounds.
"""
import os
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import peers  # noqa: E402

RUNS = {'mobilenet_v1': 40, 'resnet_v1_50': 15}
PEERS = ('slimc', 'ort', 'tf')
TOLERANCE = 1e-4  # max |peer - slimc| / max |slimc|, checked before any timing
SGEMM = """
import time, numpy as np
n = 2048
a = np.random.default_rng(0).random((n, n), dtype=np.float32); b = a.copy()
for _ in range(3): a @ b
t = []
for _ in range(10):
    t0 = time.perf_counter(); a @ b; t.append(time.perf_counter() - t0)
t.sort(); print(2 * n ** 3 / t[len(t) // 2] / 1e9)
"""


def sh(cmd, env=None, timeout=900):
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
    if r.returncode != 0:
        sys.exit('bench: %s failed (%d):\n%s%s' % (' '.join(cmd), r.returncode, r.stdout, r.stderr))
    return r.stdout


def median_of(text):
    for tok in text.split('\n'):
        if tok.startswith('median '):
            return float(tok.split()[1])
    sys.exit('bench: no median in output:\n' + text)


def prepare(build, work, name):
    slim = os.path.join(ROOT, 'samples', name + '.slim')
    exe = os.path.join(work, name)
    t0 = time.perf_counter()
    sh([os.path.join(build, 'slimc'), '-O2', '-mcpu=native', '-I', os.path.join(ROOT, 'samples'), slim, '-o', exe])
    t_exe = time.perf_counter() - t0
    t0 = time.perf_counter()
    sh([os.path.join(build, 'slimc'), '-c', '-O2', '-I', os.path.join(ROOT, 'samples'), slim, '-o',
        os.path.join(work, name + '.o')])
    t_obj = time.perf_counter() - t0
    init, npz, ckpt = (os.path.join(work, name + s) for s in ('_init', '_init.npz', '_ckpt'))
    sh([os.path.join(build, 'slim-ckpt'), 'init', slim, '-I', os.path.join(ROOT, 'samples'), '-o', init,
        '--seed=7'])
    sh([os.path.join(build, 'slim-ckpt'), 'to-npz', init, '-o', npz])
    w = dict(np.load(npz))
    rng = np.random.default_rng(11)
    for k in w:  # batch norm away from identity, so that folding matters
        if k.endswith('/gamma'):
            w[k] = rng.uniform(0.5, 1.5, w[k].shape).astype(np.float32)
        elif k.endswith('/beta') or k.endswith('/moving_mean'):
            w[k] = rng.uniform(-0.2, 0.2, w[k].shape).astype(np.float32)
        elif k.endswith('/moving_variance'):
            w[k] = rng.uniform(0.5, 2.0, w[k].shape).astype(np.float32)
        elif k.endswith('/biases'):
            w[k] = rng.uniform(-0.1, 0.1, w[k].shape).astype(np.float32)
    npz2 = os.path.join(work, name + '.npz')
    np.savez(npz2, **w)
    sh([os.path.join(build, 'slim-ckpt'), 'from-npz', npz2, '-o', ckpt])
    net = peers.NETS[name](w)
    onnx_path = os.path.join(work, name + '.onnx')
    peers.to_onnx(net, onnx_path)
    x = np.random.default_rng(3).uniform(-1, 1, (1, 224, 224, 3)).astype(np.float32)
    np.save(os.path.join(work, name + '_in.npy'), x)
    np.ascontiguousarray(x.transpose(0, 3, 1, 2)).tofile(os.path.join(work, name + '_in.f32'))
    return dict(exe=exe, ckpt=ckpt, slim=slim, onnx=onnx_path, macs=net.macs, t_exe=t_exe, t_obj=t_obj)


def cmd_for(prog, name, m, work, threads, runs):
    inp_npy, inp_f32 = os.path.join(work, name + '_in.npy'), os.path.join(work, name + '_in.f32')
    out = os.path.join(work, '%s_%s_out' % (name, prog))
    if prog == 'slimc':
        return [m['exe'], '--checkpoint=' + m['ckpt'], '--input=' + inp_npy, '--threads=%d' % threads,
                '--bench=%d' % runs], out
    if prog == 'ort':
        return [sys.executable, os.path.join(HERE, 'ort_run.py'), m['onnx'], inp_f32, out + '.f32', str(threads),
                str(runs)], out
    return [sys.executable, os.path.join(HERE, 'tf_run.py'), m['slim'], os.path.join(ROOT, 'samples'), m['ckpt'],
            inp_npy, out + '.f32', str(threads), str(runs)], out


def check_outputs(name, m, work):
    """slimc at 1 and 2 threads, and each peer once; exits if a peer is off by more than TOLERANCE."""
    for prog in ('ort', 'tf'):
        sh(cmd_for(prog, name, m, work, 1, 1)[0])
    out = os.path.join(work, name + '_slimc_out.npy')
    sh([m['exe'], '--checkpoint=' + m['ckpt'], '--input=' + os.path.join(work, name + '_in.npy'),
        '--output=logits=' + out, '--threads=1'])
    ref = np.load(out).reshape(-1)
    out2 = os.path.join(work, name + '_slimc_out2.npy')
    sh([m['exe'], '--checkpoint=' + m['ckpt'], '--input=' + os.path.join(work, name + '_in.npy'),
        '--output=logits=' + out2, '--threads=2'])
    same = np.array_equal(np.load(out2).reshape(-1), ref)
    scale = np.abs(ref).max()
    diffs = {}
    for prog in ('ort', 'tf'):
        y = np.fromfile(os.path.join(work, '%s_%s_out.f32' % (name, prog)), np.float32)
        diffs[prog] = float(np.abs(y - ref).max() / scale) if y.shape == ref.shape else float('inf')
    print('%s: outputs: slimc at 1 and 2 threads %s; max |diff|/max|y| vs ort %.2e, vs tf %.2e (max |y| %.3g)' % (
        name, 'identical' if same else 'DIFFER', diffs['ort'], diffs['tf'], scale), flush=True)
    if not same or max(diffs.values()) > TOLERANCE:
        sys.exit('bench: %s: the outputs disagree (tolerance %.0e): nothing timed' % (name, TOLERANCE))


def main():
    build, work = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    rounds = 3
    models = ['mobilenet_v1', 'resnet_v1_50']
    for a in sys.argv[3:]:
        if a.startswith('--rounds='):
            rounds = int(a[9:])
        elif a.startswith('--models='):
            models = a[9:].split(',')
    os.makedirs(work, exist_ok=True)
    blas_env = {k: v for k, v in os.environ.items() if k not in ('OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE')}
    prepared = {name: prepare(build, work, name) for name in models}
    for name in models:
        check_outputs(name, prepared[name], work)
    rows, conv_rows, peaks = [], {}, {}
    for threads in (1, 2):
        sg, conv = [], {}
        times = {(n, p): [] for n in models for p in PEERS}
        for r in range(rounds):
            sg.append(float(sh([sys.executable, '-c', SGEMM],
                               env=dict(blas_env, OPENBLAS_NUM_THREADS=str(threads)))))
            for line in sh([os.path.join(build, 'bench', 'conv_bench'), str(threads), '20']).splitlines():
                nm, ms, gf = line.split('\t')
                conv.setdefault(nm, []).append(float(gf))
            for name in models:
                order = list(PEERS)
                order = order[r % 3:] + order[:r % 3]  # alternate who runs first
                for prog in order:
                    cmd, _ = cmd_for(prog, name, prepared[name], work, threads, RUNS[name])
                    times[(name, prog)].append(median_of(sh(cmd)))
                    print('round %d/%d, %d thread%s: %s %s %.2f ms' % (
                        r + 1, rounds, threads, 's' if threads > 1 else '', name, prog, times[(name, prog)][-1]),
                        file=sys.stderr, flush=True)
        peaks[threads] = float(np.median(sg))
        conv_rows[threads] = {k: float(np.median(v)) for k, v in conv.items()}
        for name in models:
            med = {p: float(np.median(times[(name, p)])) for p in PEERS}
            rows.append((name, threads, med))
    print('\n%-14s %3s %10s %10s %10s %10s %10s %12s %7s' % ('model', 'thr', 'slimc ms', 'ort ms', 'tf ms',
                                                           'slimc/ort', 'slimc/tf', 'slimc GF/s', '%peak'))
    for name, threads, med in rows:
        gf = 2 * prepared[name]['macs'] / med['slimc'] / 1e6
        print('%-14s %3d %10.2f %10.2f %10.2f %10.3f %10.3f %12.1f %6.0f%%' % (
            name, threads, med['slimc'], med['ort'], med['tf'], med['slimc'] / med['ort'],
            med['slimc'] / med['tf'], gf, 100 * gf / peaks[threads]))
    for threads in (1, 2):
        print('\nsgemm peak (OpenBLAS via numpy, %d thread%s): %.1f GFLOP/s' % (
            threads, '' if threads == 1 else 's', peaks[threads]))
        for nm, gf in conv_rows[threads].items():
            print('  %-36s %7.1f GFLOP/s %5.0f%% of peak' % (nm, gf, 100 * gf / peaks[threads]))
    print()
    for name in models:
        m = prepared[name]
        print('%s: compile to executable %.2f s, slimc -c %.2f s' % (name, m['t_exe'], m['t_obj']))


if __name__ == '__main__':
    main()

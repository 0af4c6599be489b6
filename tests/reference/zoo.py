"""Compares a zoo executable's logits with the NumPy reference (nets.py), the weights
read from the checkpoint the executable used (as an .npz from `slim-ckpt to-npz`).

usage: zoo.py {mobilenet_v1|resnet_v1_50} CKPT.npz INPUT.npy SLIMC_LOGITS.npy [TOL]
Prints one line; exit status 1 if max |slimc - numpy| > TOL * max |numpy logit|.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nets  # noqa: E402

NETS = {
    'mobilenet_v1': lambda x, p: nets.mobilenet_v1(x, p, num_classes=1001),
    'resnet_v1_50': lambda x, p: nets.resnet_v1_50(x, p, num_classes=1000),
}


def main(argv):
    if len(argv) not in (5, 6) or argv[1] not in NETS:
        raise SystemExit(__doc__)
    name, npz, x_path, got_path = argv[1:5]
    tol = float(argv[5]) if len(argv) == 6 else 1e-4
    z = np.load(npz)
    p = {k: z[k].astype(np.float64) for k in z.files}
    want, _ = NETS[name](np.load(x_path), p)
    got = np.load(got_path).astype(np.float64)
    if got.shape != want.shape:
        print('FAIL %s: logits shape %s, reference %s' % (name, got.shape, want.shape))
        return 1
    err = np.abs(got - want).max() / max(np.abs(want).max(), 1e-30)
    ok = err <= tol
    print('%s %s vs NumPy: max |logit| %.4g, rel err %.2e, argmax slimc %d numpy %d' % (
        'ok  ' if ok else 'FAIL', name, np.abs(want).max(), err, got.argmax(), want.argmax()))
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv))

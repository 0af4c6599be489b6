"""NumPy reference for samples/person_detection: reads the checkpoint's tensors from an .npz
(`slim-ckpt to-npz`), a PGM image, applies the sample's preprocessing ((x / 255 - 0.5) * 2)
and nets.mobilenet_v1, and compares with the logits slimc's executable wrote.

usage: person_detection.py CKPT.npz {raw|ema} IMAGE.pgm SLIMC_LOGITS.npy [TOL]
Prints one line; exit status 1 if max |slimc - numpy| > TOL * max |numpy logit|.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nets  # noqa: E402

EMA = '/ExponentialMovingAverage'


def read_pgm(path):
    """Binary P5, maxval <= 255: [1, H, W, 1] uint8."""
    with open(path, 'rb') as f:
        data = f.read()
    fields, pos = [], 2
    if data[:2] != b'P5':
        raise SystemExit('%s: not a binary PGM' % path)
    while len(fields) < 3:
        while data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b'#':
            pos = data.index(b'\n', pos)
            continue
        start = pos
        while not data[pos:pos + 1].isspace():
            pos += 1
        fields.append(int(data[start:pos]))
    w, h, maxval = fields
    px = np.frombuffer(data, dtype=np.uint8, count=w * h, offset=pos + 1).astype(np.float64)
    return (px * 255.0 / maxval).reshape(1, h, w, 1)


def weights(npz_path, ema):
    """Checkpoint tensors by variable name; with EMA each model variable takes its shadow,
    as TF-Slim's eval script's variables_to_restore() does."""
    z = np.load(npz_path)
    p = {k: z[k].astype(np.float64) for k in z.files if not k.endswith(EMA)}
    if ema:
        for k in z.files:
            if k.endswith(EMA):
                p[k[:-len(EMA)]] = z[k].astype(np.float64)
    return p


def main(argv):
    if len(argv) not in (5, 6) or argv[2] not in ('raw', 'ema'):
        raise SystemExit(__doc__)
    npz, mode, image, got_path = argv[1:5]
    tol = float(argv[5]) if len(argv) == 6 else 1e-4
    p = weights(npz, mode == 'ema')
    x = (read_pgm(image) / 255.0 - 0.5) * 2.0
    want, probs = nets.mobilenet_v1(x, p, num_classes=2, depth_multiplier=0.25)
    got = np.load(got_path).astype(np.float64)
    if got.shape != want.shape:
        print('FAIL %s %s: logits shape %s, reference %s' % (os.path.basename(image), mode, got.shape, want.shape))
        return 1
    err = np.abs(got - want).max() / max(np.abs(want).max(), 1e-30)
    ok = err <= tol
    print('%s %s %s: slimc logits %s  numpy %s  rel err %.2e  class %d (p=%.4f)' % (
        'ok  ' if ok else 'FAIL', os.path.basename(image), mode,
        np.array2string(got.ravel(), precision=6), np.array2string(want.ravel(), precision=6),
        err, int(probs.argmax()), probs.max()))
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv))

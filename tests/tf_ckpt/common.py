"""What the two checkpoint interoperability tests share (docs/checkpoints.md, Tests).

Values are chosen to catch any conversion: floats are mostly random bit patterns
(NaNs with payloads, subnormals, infinities, both zeros), integers span their whole
range, and every comparison is of bytes, never within a tolerance.
"""
import os
import subprocess
import sys

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')

import numpy as np  # noqa: E402

# TF's dtype name -> (numpy dtype of the same bytes, element size, float?)
# bfloat16 is carried as its uint16 bit pattern (numpy has no bfloat16).
DTYPES = {
    'float32': (np.float32, True), 'float64': (np.float64, True), 'float16': (np.float16, True),
    'bfloat16': (np.uint16, True), 'int8': (np.int8, False), 'int16': (np.int16, False),
    'int32': (np.int32, False), 'int64': (np.int64, False), 'uint8': (np.uint8, False),
    'uint16': (np.uint16, False), 'uint32': (np.uint32, False), 'uint64': (np.uint64, False),
    'bool': (np.bool_, False),
}
# The dtypes a .slim variable can have (LANGUAGE.md section 2, DTYPE, plus int16).
LANGUAGE_DTYPES = ['float32', 'float64', 'float16', 'bfloat16', 'int8', 'int16', 'int32', 'int64', 'uint8',
                   'bool']

SPECIAL_BITS = {  # +0 -0 +inf -inf quiet NaN, NaN with payload, negative NaN, smallest subnormal, max
    2: [0x0000, 0x8000, 0x7c00, 0xfc00, 0x7e00, 0x7c01, 0xfe01, 0x0001, 0x7bff],
    4: [0, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0x7f800001, 0xffc00123, 1, 0x7f7fffff],
    8: [0, 1 << 63, 0x7ff0 << 48, 0xfff0 << 48, 0x7ff8 << 48, (0x7ff0 << 48) | 1, (0xfff8 << 48) | 0x1234, 1,
        0x7fefffffffffffff],
}
BF16_SPECIAL = [0x0000, 0x8000, 0x7f80, 0xff80, 0x7fc0, 0x7f81, 0xffc1, 0x0001, 0x7f7f]


def make_value(dtype, shape, seed):
    """An array of SHAPE holding DTYPE's bytes (bfloat16 as uint16 bits): specials first."""
    npt, is_float = DTYPES[dtype]
    n = int(np.prod(shape, dtype=np.int64))
    rng = np.random.default_rng(seed)
    if dtype == 'bool':
        return rng.integers(0, 2, n).astype(np.bool_).reshape(shape)
    size = np.dtype(npt).itemsize
    if is_float:
        bits = rng.integers(0, 1 << (8 * size), n, dtype=np.dtype('u%d' % size), endpoint=False)
        special = BF16_SPECIAL if dtype == 'bfloat16' else SPECIAL_BITS[size]
        k = min(n, len(special))
        bits[:k] = special[:k]
        return bits.view(npt).reshape(shape)
    info = np.iinfo(npt)
    v = rng.integers(info.min, info.max, n, dtype=npt, endpoint=True)
    ends = [info.min, info.max, 0, -1 if info.min < 0 else 1]
    k = min(n, len(ends))
    v[:k] = np.array(ends[:k], dtype=npt)
    return v.reshape(shape)


def bf16_to_f32_bits(a):
    """float32 array whose bits are bfloat16 bits A << 16: what an exact widening gives."""
    return (a.astype(np.uint32).reshape(-1) << 16).view(np.float32).reshape(a.shape)


def tf_array(tf, dtype, a):
    """A (bfloat16 as bits) as the numpy array TF feeds and returns for DTYPE."""
    if dtype == 'bfloat16':
        return a.view(tf.bfloat16.as_numpy_dtype)
    return a


def raw_bytes(a):
    return np.ascontiguousarray(a).tobytes()


class Checks:
    """Counts checks; prints one line per failure and a closing 'N passed, N failed'."""

    def __init__(self, name):
        self.name, self.passed, self.failed = name, 0, 0

    def ok(self, cond, what):
        if cond:
            self.passed += 1
        else:
            self.failed += 1
            print('FAIL %s' % what, flush=True)
        return cond

    def same_bytes(self, got, want, what):
        if got == want:
            return self.ok(True, what)
        n = min(len(got), len(want))
        first = next((i for i in range(n) if got[i] != want[i]), n)
        return self.ok(False, '%s: %d bytes vs %d expected, first difference at byte %d' % (
            what, len(got), len(want), first))

    def finish(self):
        print('%s: %d passed, %d failed' % (self.name, self.passed, self.failed))
        return 1 if self.failed or not self.passed else 0


def run(cmd, timeout=300, **kw):
    """Runs CMD; returns (exit status, stdout bytes, stderr text)."""
    r = subprocess.run(cmd, capture_output=True, timeout=timeout, **kw)
    return r.returncode, r.stdout, r.stderr.decode(errors='replace')


def die(msg):
    print('tf_ckpt: ' + msg, file=sys.stderr)
    sys.exit(1)

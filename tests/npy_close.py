"""Compares two .npy files: same shape, every element within atol 1e-5 + rtol 1e-4.
Standard library only, so it runs anywhere the test suite runs."""
import ast
import struct
import sys


def load(path):
    b = open(path, 'rb').read()
    if b[:6] != b'\x93NUMPY':
        raise SystemExit(f'{path}: not a .npy file')
    if b[6] == 1:
        hl, off = struct.unpack('<H', b[8:10])[0], 10
    else:
        hl, off = struct.unpack('<I', b[8:12])[0], 12
    h = ast.literal_eval(b[off:off + hl].decode('latin1'))
    fmt = {'<f4': 'f', '<f8': 'd', '<i4': 'i', '<i8': 'q', '|u1': 'B', '|b1': '?'}.get(h['descr'])
    if fmt is None or h['fortran_order']:
        raise SystemExit(f'{path}: unsupported header {h}')
    n = 1
    for d in h['shape']:
        n *= d
    return tuple(h['shape']), struct.unpack('<%d%s' % (n, fmt), b[off + hl:off + hl + n * struct.calcsize(fmt)])


(es, ev), (as_, av) = load(sys.argv[1]), load(sys.argv[2])
if es != as_:
    raise SystemExit(f'shape {as_} != expected {es}')
for i, (e, a) in enumerate(zip(ev, av)):
    if not abs(a - e) <= 1e-5 + 1e-4 * abs(e):
        raise SystemExit(f'element {i}: {a} != expected {e}')

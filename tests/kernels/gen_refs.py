#!/usr/bin/python3
"""Writes reference cases for the libslimrt kernels into OUT_DIR.

Usage: /usr/bin/python3 gen_refs.py OUT_DIR

NumPy is the independent reference: convolutions, pools and the transposed
convolution are computed here from their definitions (window slices, and a
scatter formulation for the transposed convolution, where the kernel gathers),
never with code shared with the C kernels.

OUT_DIR/manifest.txt has one case per line:
    CASE OPNAME NIN SLOT...
where each SLOT is `i:N` (int64) or `f:X` (double), in the field order of the
op's slimrt_attr_* struct (every field is 8 bytes, arrays spelt out in full).
The inputs are CASE.in0.npy ... and the expected output is CASE.out.npy; its
dtype and shape are the kernel's out_shape.
"""
import math
import os
import sys

import numpy as np

MAX_RANK = 8
rng = np.random.default_rng(20240611)


class Writer:
    def __init__(self, out_dir):
        self.dir = out_dir
        self.lines = []
        self.count = {}

    def case(self, op, inputs, expected, slots=None):
        k = self.count.get(op, 0)
        self.count[op] = k + 1
        name = "%s_%d" % (op.lower(), k)
        for i, a in enumerate(inputs):
            np.save(os.path.join(self.dir, "%s.in%d.npy" % (name, i)), np.ascontiguousarray(a))
        np.save(os.path.join(self.dir, name + ".out.npy"), np.ascontiguousarray(expected))
        toks = []
        for s in slots if slots is not None else [0]:
            if isinstance(s, float):
                toks.append("f:%r" % s)
            else:
                toks.append("i:%d" % int(s))
        self.lines.append("%s %s %d %s" % (name, op, len(inputs), " ".join(toks)))

    def finish(self):
        with open(os.path.join(self.dir, "manifest.txt"), "w") as f:
            f.write("\n".join(self.lines) + "\n")


def arr8(vals, fill=0):
    vals = list(vals)
    return vals + [fill] * (MAX_RANK - len(vals))


def f32(shape, lo=-3.0, hi=3.0):
    return rng.uniform(lo, hi, size=shape).astype(np.float32)


def out_size(n, k, s, d, padding):
    """TF's output size and (before, after) padding for one spatial dimension."""
    keff = k + (k - 1) * (d - 1)
    if padding == "VALID":
        return -(-(n - keff + 1) // s), 0, 0
    out = -(-n // s)
    total = max((out - 1) * s + keff - n, 0)
    return out, total // 2, total - total // 2


# ---------------------------------------------------------------- views
def gen_views(w):
    x = f32((3, 5))
    w.case("IDENTITY", [x], x)
    w.case("RESHAPE", [x], x.reshape(5, 3))
    w.case("RESHAPE", [x], x.reshape(15))


# ---------------------------------------------------------------- unary
def gen_unary(w):
    fns = {
        "RELU": lambda x: np.maximum(x, 0),
        "RELU6": lambda x: np.minimum(np.maximum(x, 0), 6),
        "ELU": lambda x: np.where(x > 0, x, np.expm1(x)),
        "SIGMOID": lambda x: 1 / (1 + np.exp(-x)),
        "TANH": np.tanh,
        "NEG": np.negative,
        "ABS": np.abs,
        "SQRT": np.sqrt,
        "RSQRT": lambda x: 1 / np.sqrt(x),
        "SQUARE": np.square,
        "EXP": np.exp,
        "LOG": np.log,
    }
    positive = {"SQRT", "RSQRT", "LOG"}
    for op, fn in fns.items():
        for shape in [(7,), (2, 3, 5)]:
            x = f32(shape, 0.05, 9.0) if op in positive else f32(shape, -8.0, 8.0)
            w.case(op, [x], fn(x.astype(np.float64)).astype(np.float32))


# ---------------------------------------------------------------- binary
BIN_SHAPES = [((2, 3, 4), (2, 3, 4)), ((2, 3, 4), (4,)), ((2, 1, 4), (3, 1)),
              ((5,), ()), ((), (3, 2)), ((1,), (3, 1, 2)), ((4, 1, 3, 1), (1, 5, 1, 2))]


def gen_binary(w):
    fns = {
        "ADD": np.add, "SUB": np.subtract, "MUL": np.multiply, "DIV": np.divide,
        "MAXIMUM": np.maximum, "MINIMUM": np.minimum, "POW": np.power,
    }
    for op, fn in fns.items():
        for sa, sb in BIN_SHAPES:
            if op == "POW":
                a, b = f32(sa, 0.1, 3.0), f32(sb, -2.0, 2.0)
            elif op == "DIV":
                b = f32(sb, 0.5, 3.0) * rng.choice([-1, 1], size=sb).astype(np.float32)
                a = f32(sa)
            else:
                a, b = f32(sa), f32(sb)
            w.case(op, [a, b], fn(a.astype(np.float64), b.astype(np.float64)).astype(np.float32))
        if op in ("DIV", "POW"):
            continue
        for dt in (np.int32, np.int64):
            for sa, sb in BIN_SHAPES[:3]:
                a = rng.integers(-1000, 1000, size=sa).astype(dt)
                b = rng.integers(-1000, 1000, size=sb).astype(dt)
                w.case(op, [a, b], fn(a, b).astype(dt))
    # wrap-around of int32 addition, as TF's two's complement arithmetic
    a = np.array([2**31 - 1, -2**31], dtype=np.int32)
    b = np.array([1, -1], dtype=np.int32)
    w.case("ADD", [a, b], np.array([-2**31, 2**31 - 1], dtype=np.int32))


def gen_bias_add(w):
    for shape in [(2, 3, 3, 5), (4, 7), (3,)]:
        x, b = f32(shape), f32(shape[-1:])
        w.case("BIAS_ADD", [x, b], x + b)


# ---------------------------------------------------------------- cast
def gen_cast(w):
    fx = np.array([-2.7, -1.5, -0.5, 0.0, 0.49, 1.5, 2.5, 3.99, 100.25], dtype=np.float32)
    u8 = rng.integers(0, 256, size=(2, 3, 4)).astype(np.uint8)
    i32 = rng.integers(-300, 300, size=(10,)).astype(np.int32)
    i64 = np.array([2**40 + 5, -7, 255, 256, -1], dtype=np.int64)
    cases = [
        (u8, np.float32), (fx, np.int32), (fx, np.int64), (i32, np.float32), (fx, np.bool_),
        (np.array([True, False, True]), np.float32), (i64, np.int32), (i32, np.uint8),
        (fx, np.float16), (fx.astype(np.float16), np.float32), (fx.astype(np.float64), np.float32),
        (fx, np.float64), (i32, np.int64), (u8, np.int32), (fx, fx.dtype),
    ]
    for src, dst in cases:
        if np.issubdtype(src.dtype, np.floating) and np.issubdtype(dst, np.integer):
            exp = np.trunc(src).astype(dst)  # truncation toward zero, as TF
        else:
            exp = src.astype(dst)
        w.case("CAST", [src], exp)


# ---------------------------------------------------------------- matmul
def gen_matmul(w):
    for (m, k, n) in [(5, 7, 3), (1, 4, 9), (6, 1, 2)]:
        for ta in (0, 1):
            for tb in (0, 1):
                a, b = f32((m, k)), f32((k, n))
                ia = a.T.copy() if ta else a
                ib = b.T.copy() if tb else b
                w.case("MATMUL", [ia, ib], (a.astype(np.float64) @ b).astype(np.float32), [ta, tb])
    a, b = f32((2, 3, 4)), f32((2, 4, 5))
    w.case("MATMUL", [a, b], np.matmul(a.astype(np.float64), b).astype(np.float32), [0, 0])
    a, b = f32((2, 3, 4)), f32((4, 5))
    w.case("MATMUL", [a, b], np.matmul(a.astype(np.float64), b).astype(np.float32), [0, 0])


# ---------------------------------------------------------------- convolution
CONV_CASES = [
    # N, H, W, C, KH, KW, CO/mult, stride, dilation, padding
    (1, 5, 5, 3, 3, 3, 4, 1, 1, "SAME"),
    (2, 7, 6, 2, 3, 3, 5, 2, 1, "SAME"),
    (1, 7, 7, 3, 3, 2, 2, 2, 1, "VALID"),
    (1, 9, 8, 2, 3, 3, 3, 1, 2, "SAME"),
    (2, 8, 9, 3, 2, 3, 2, 1, 2, "VALID"),
    (1, 6, 6, 4, 1, 1, 3, 1, 1, "VALID"),
    (1, 5, 4, 1, 5, 4, 2, 3, 1, "SAME"),
    (3, 4, 5, 2, 2, 2, 1, 2, 1, "SAME"),
]


def windows(x, kh, kw, s, d, pads, oh, ow):
    """Yields (i, j, patch) with patch [N, KH, KW, C] taken from zero-padded x."""
    pt, pb, pl, pr = pads
    xp = np.pad(x, ((0, 0), (pt, pb + s), (pl, pr + s), (0, 0)))
    for i in range(oh):
        for j in range(ow):
            yield i, j, xp[:, i * s:i * s + (kh - 1) * d + 1:d, j * s:j * s + (kw - 1) * d + 1:d, :]


def gen_conv(w):
    for (n, h, wd, c, kh, kw, co, s, d, padding) in CONV_CASES:
        oh, pt, pb = out_size(h, kh, s, d, padding)
        ow, pl, pr = out_size(wd, kw, s, d, padding)
        slots = [s, s, d, d, pt, pb, pl, pr]
        x = f32((n, h, wd, c)).astype(np.float64)
        # CONV2D: cross-correlation
        f = f32((kh, kw, c, co)).astype(np.float64)
        out = np.zeros((n, oh, ow, co))
        for i, j, p in windows(x, kh, kw, s, d, (pt, pb, pl, pr), oh, ow):
            out[:, i, j, :] = np.einsum("nhwc,hwco->no", p, f)
        w.case("CONV2D", [x.astype(np.float32), f.astype(np.float32)], out.astype(np.float32), slots)
        # DEPTHWISE_CONV2D: output channel c*mult + m
        fd = f32((kh, kw, c, co)).astype(np.float64)
        out = np.zeros((n, oh, ow, c * co))
        for i, j, p in windows(x, kh, kw, s, d, (pt, pb, pl, pr), oh, ow):
            out[:, i, j, :] = np.einsum("nhwc,hwcm->ncm", p, fd).reshape(n, c * co)
        w.case("DEPTHWISE_CONV2D", [x.astype(np.float32), fd.astype(np.float32)],
               out.astype(np.float32), slots)


# Shapes for the fast paths (runtime/src/gemm.c, the vectorised depthwise loop):
# channels multiple of 16 and not, 1x1 and 3x3, strides 1 and 2, more rows than a
# register tile and a partial last tile, more columns than a task block, and K
# larger than one K block (576 > 512).
FAST_CONV_CASES = [
    # N, H, W, C, KH, KW, CO, stride, padding
    (1, 9, 9, 16, 1, 1, 48, 1, "VALID"),
    (2, 5, 5, 17, 1, 1, 33, 2, "VALID"),
    (1, 10, 10, 20, 3, 3, 32, 2, "SAME"),
    (1, 6, 7, 64, 3, 3, 130, 1, "SAME"),
    (1, 13, 11, 32, 3, 3, 64, 1, "SAME"),
    # 7 x 64 tiles: M = 49 exactly; M = 20 (a partial row tile), N = 192 (a 64-column
    # task), two K blocks of whole taps (ci 96); ci 700 (K blocks inside one tap);
    # ci 15 gathered (runs < 16), K = 735 in two blocks
    (1, 7, 7, 64, 3, 3, 128, 1, "SAME"),
    (1, 4, 5, 96, 3, 3, 192, 1, "SAME"),
    (1, 3, 4, 700, 1, 1, 64, 1, "VALID"),
    (1, 8, 8, 15, 7, 7, 64, 2, "SAME"),
    # at most 6 output pixels, 1x1: the GEMV path (N = 70: a partial column chunk;
    # N = 128 also prepacked)
    (2, 1, 1, 40, 1, 1, 70, 1, "VALID"),
    (1, 2, 3, 64, 1, 1, 128, 1, "VALID"),
    # a logits-like width: one 1024-column chunk at 1 thread, 176-column chunks
    # (the last partial) at 3
    (1, 1, 1, 24, 1, 1, 1001, 1, "VALID"),
    # long K: cut into 4 blocks of rows whose partial sums are added afterwards; with
    # 6 pixels x 1000 columns the partial sums fit only 2 blocks (of 260 rows)
    (1, 1, 1, 600, 1, 1, 1001, 1, "VALID"),
    (1, 2, 3, 520, 1, 1, 1000, 1, "VALID"),
    # depthwise 3-wide rows in blocks of 8 pixels, stride 2 and 1, with channels
    # past the last 16-channel slice
    (1, 20, 20, 20, 3, 3, 32, 2, "SAME"),
    (1, 5, 12, 19, 3, 3, 16, 1, "SAME"),
    # depthwise on few rows: each row's channels cut into 2 (of 80) and 8 (of 64) tasks
    (1, 5, 9, 160, 3, 3, 32, 1, "SAME"),
    (1, 6, 10, 512, 3, 3, 16, 2, "SAME"),
    # prepacked with short K blocks (<= 256): tasks of 256 columns (N = 320: a
    # 64-column one too); M = 1024 with tasks of at most 224 rows
    (1, 9, 9, 32, 1, 1, 320, 1, "VALID"),
    (1, 32, 32, 16, 1, 1, 64, 1, "VALID"),
    # ci 650 > one K block: blocks of 434 cross the tap boundary (runs of unequal length)
    (1, 3, 3, 650, 1, 2, 64, 1, "SAME"),
    # prepacked filters take K blocks of up to 2304: 3x3 x 288 is two blocks of 5
    # taps, 1x1 x 2500 two blocks inside one tap (unpacked: blocks of up to 640)
    (1, 3, 3, 288, 3, 3, 64, 1, "SAME"),
    (1, 2, 2, 2500, 1, 1, 32, 1, "VALID"),
    # 3-channel stems: tiles inside the image read as one run per filter row, the
    # others gathered (7x7/2 with 7 x 64 tiles, 3x3/2 with 12 x 32)
    (1, 40, 40, 3, 7, 7, 64, 2, "SAME"),
    (1, 40, 40, 3, 3, 3, 32, 2, "SAME"),
]


def conv_ref(x, f, s, pads, oh, ow):
    out = np.zeros((x.shape[0], oh, ow, f.shape[3]))
    for i, j, p in windows(x, f.shape[0], f.shape[1], s, 1, pads, oh, ow):
        out[:, i, j, :] = np.einsum("nhwc,hwco->no", p, f)
    return out


def dw_ref(x, f, s, pads, oh, ow):
    n, c, m = x.shape[0], x.shape[3], f.shape[3]
    out = np.zeros((n, oh, ow, c * m))
    for i, j, p in windows(x, f.shape[0], f.shape[1], s, 1, pads, oh, ow):
        out[:, i, j, :] = np.einsum("nhwc,hwcm->ncm", p, f).reshape(n, c * m)
    return out


def gen_conv_fast(w):
    """CONV2D / DEPTHWISE_CONV2D on the fast-path shapes, and FUSED_CONV2D with each
    epilogue: bias, batch norm, bias + batch norm, residual, relu and relu6, each also
    prepacked (the prepare hook run first)."""
    eps = 0.001
    for idx, (n, h, wd, c, kh, kw, co, s, padding) in enumerate(FAST_CONV_CASES):
        oh, pt, pb = out_size(h, kh, s, 1, padding)
        ow, pl, pr = out_size(wd, kw, s, 1, padding)
        pads = (pt, pb, pl, pr)
        conv_slots = [s, s, 1, 1, pt, pb, pl, pr]
        x = f32((n, h, wd, c), -1, 1).astype(np.float64)
        f = f32((kh, kw, c, co), -1, 1).astype(np.float64)
        fd = f32((kh, kw, c, 1), -1, 1).astype(np.float64)
        conv = conv_ref(x, f, s, pads, oh, ow)
        dw = dw_ref(x, fd, s, pads, oh, ow)
        w.case("CONV2D", [x.astype(np.float32), f.astype(np.float32)], conv.astype(np.float32), conv_slots)
        w.case("DEPTHWISE_CONV2D", [x.astype(np.float32), fd.astype(np.float32)], dw.astype(np.float32),
               conv_slots)
        for depthwise, y, filt in ((0, conv, f), (1, dw, fd)):
            # (has_bias, has_bn, has_residual, act) varied across the cases
            combos = [(1, 0, 0, 0), (0, 1, 0, 1), (1, 1, 0, 2), (0, 1, 1, 1), (1, 0, 1, 0)]
            fused_case(w, x, filt, y, conv_slots, depthwise, combos[(idx + depthwise) % len(combos)], 0, eps)
            # prepacked (filter and batch norm rewritten by the prepare hook): channels
            # that fill the GEMM's panels only (any for depthwise), another epilogue
            # than the plain case
            if depthwise or co % 32 == 0:
                fused_case(w, x, filt, y, conv_slots, depthwise, combos[(idx + 2) % len(combos)], 1, eps)


# Depthwise paths (runtime/src/kernels_conv.c): 3-wide filters in blocks of 8, 4
# and 2 pixels, single pixels at the borders (left tap, right tap outside) and
# inside, channel counts compiled as constants (32, 64, 128, 256, 512, 1024) with
# the relu6 and relu epilogues, others at run time, channels past the last
# 16-slice, filters of 1 and 2 rows, strides 1 and 2 on odd and even widths,
# VALID padding (no border pixel) and a 5-wide filter (the generic blocks).
DW_PATH_CASES = [
    # N, H, W, C, KH, KW, stride, padding, (has_bias, has_bn, has_residual, act)
    (1, 5, 15, 32, 3, 3, 1, "SAME", (0, 1, 0, 2)),    # 15 = 1 + 8 + 4 + 1 + 1
    (1, 6, 16, 64, 3, 3, 2, "SAME", (0, 1, 0, 2)),    # stride 2, even width: right tap out
    (1, 5, 17, 128, 3, 3, 2, "SAME", (1, 1, 0, 2)),   # stride 2, odd width
    (1, 7, 7, 1024, 3, 3, 1, "SAME", (0, 1, 0, 2)),   # 7 = 1 + 4 + 1 + 1
    (1, 4, 14, 512, 3, 3, 2, "SAME", (0, 1, 0, 2)),
    (2, 3, 9, 256, 3, 3, 1, "VALID", (0, 1, 0, 2)),   # no border pixels; 2 images
    (1, 4, 13, 48, 3, 3, 1, "SAME", (0, 1, 0, 1)),    # relu, channels at run time
    (1, 4, 11, 35, 3, 3, 1, "SAME", (1, 0, 0, 0)),    # 2 slices + 3 channels
    (1, 5, 10, 32, 1, 3, 1, "SAME", (0, 1, 0, 2)),    # one filter row
    (1, 5, 10, 64, 2, 3, 2, "SAME", (0, 1, 1, 2)),    # two filter rows, residual
    (1, 9, 12, 32, 5, 5, 1, "SAME", (0, 1, 0, 2)),    # 5x5: generic blocks of 4
    (1, 3, 2, 16, 3, 3, 1, "SAME", (0, 1, 0, 2)),     # width 2: both taps of one side
    (1, 3, 1, 16, 3, 3, 1, "SAME", (0, 1, 0, 2)),     # width 1: taps out on both sides
]


def gen_dw_paths(w):
    eps = 0.001
    for n, h, wd, c, kh, kw, s, padding, combo in DW_PATH_CASES:
        oh, pt, pb = out_size(h, kh, s, 1, padding)
        ow, pl, pr = out_size(wd, kw, s, 1, padding)
        pads = (pt, pb, pl, pr)
        conv_slots = [s, s, 1, 1, pt, pb, pl, pr]
        x = f32((n, h, wd, c), -1, 1).astype(np.float64)
        fd = f32((kh, kw, c, 1), -1, 1).astype(np.float64)
        dw = dw_ref(x, fd, s, pads, oh, ow)
        w.case("DEPTHWISE_CONV2D", [x.astype(np.float32), fd.astype(np.float32)], dw.astype(np.float32),
               conv_slots)
        fused_case(w, x, fd, dw, conv_slots, 1, combo, 0, eps)
        # prepacked: the prepare hook folds the scale into the filter, the kernel
        # adds the shift
        fused_case(w, x, fd, dw, conv_slots, 1, combo, 1, eps)


def fused_case(w, x, filt, y, conv_slots, depthwise, combo, prepacked, eps):
    ch = y.shape[3]
    bias = f32((ch,), -1, 1).astype(np.float64)
    gamma, beta = f32((ch,), 0.5, 1.5).astype(np.float64), f32((ch,), -1, 1).astype(np.float64)
    mean, var = f32((ch,), -1, 1).astype(np.float64), f32((ch,), 0.2, 2).astype(np.float64)
    res = f32(y.shape, -1, 1).astype(np.float64)
    has_bias, has_bn, has_res, act = combo
    out = y.copy()
    ins = [x, filt]
    if has_bias:
        out = out + bias
        ins.append(bias)
    if has_bn:
        out = (out - mean) / np.sqrt(var + eps) * gamma + beta
        ins += [gamma, beta, mean, var]
    if has_res:
        out = out + res
        ins.append(res)
    if act == 1:
        out = np.maximum(out, 0)
    elif act == 2:
        out = np.clip(out, 0, 6)
    w.case("FUSED_CONV2D", [a.astype(np.float32) for a in ins], out.astype(np.float32),
           conv_slots + [depthwise, has_bias, has_bn, has_res, act, eps, prepacked])


def gen_conv_transpose(w):
    # N, H, W (of dy), CI (channels of dy), KH, KW, CO, stride, dilation, padding
    cases = [
        (1, 3, 3, 2, 3, 3, 4, 2, 1, "SAME"),
        (2, 4, 3, 3, 3, 3, 2, 1, 1, "SAME"),
        (1, 3, 4, 2, 2, 2, 3, 2, 1, "VALID"),
        (1, 2, 3, 2, 3, 2, 2, 3, 1, "VALID"),
        (1, 4, 4, 1, 3, 3, 2, 1, 2, "SAME"),
        (2, 3, 2, 2, 4, 4, 3, 2, 1, "SAME"),
    ]
    for (n, h, wd, ci, kh, kw, co, s, d, padding) in cases:
        keh, kew = kh + (kh - 1) * (d - 1), kw + (kw - 1) * (d - 1)
        if padding == "SAME":
            oh, ow = h * s, wd * s
        else:
            oh, ow = h * s + max(keh - s, 0), wd * s + max(kew - s, 0)
        # the forward conv maps [oh, ow] to [h, w]; its pads are the attribute
        fh, pt, pb = out_size(oh, kh, s, d, padding)
        fw, pl, pr = out_size(ow, kw, s, d, padding)
        assert (fh, fw) == (h, wd)
        dy = f32((n, h, wd, ci)).astype(np.float64)
        f = f32((kh, kw, co, ci)).astype(np.float64)
        # scatter every dy cell through the filter into a padded output, then crop
        full = np.zeros((n, pt + oh + keh + s * h, pl + ow + kew + s * wd, co))
        for i in range(h):
            for j in range(wd):
                for a in range(kh):
                    for b in range(kw):
                        full[:, i * s + a * d, j * s + b * d, :] += dy[:, i, j, :] @ f[a, b].T
        out = full[:, pt:pt + oh, pl:pl + ow, :]
        w.case("CONV2D_TRANSPOSE", [dy.astype(np.float32), f.astype(np.float32)],
               out.astype(np.float32), [s, s, d, d, pt, pb, pl, pr])


# ---------------------------------------------------------------- pooling
def gen_pool(w):
    cases = [
        (1, 5, 5, 3, 2, 2, 2, "VALID"), (2, 7, 6, 2, 3, 3, 2, "SAME"), (1, 6, 6, 1, 3, 3, 1, "SAME"),
        (1, 8, 7, 4, 3, 2, 2, "SAME"), (1, 9, 9, 2, 3, 3, 2, "VALID"), (2, 4, 4, 3, 4, 4, 1, "VALID"),
    ]
    for (n, h, wd, c, kh, kw, s, padding) in cases:
        oh, pt, pb = out_size(h, kh, s, 1, padding)
        ow, pl, pr = out_size(wd, kw, s, 1, padding)
        # negative inputs only: a max pool that counted padded zeros would show
        x = f32((n, h, wd, c), -9.0, -0.5).astype(np.float64)
        mx, av = np.zeros((n, oh, ow, c)), np.zeros((n, oh, ow, c))
        for i in range(oh):
            for j in range(ow):
                h0, w0 = i * s - pt, j * s - pl
                win = x[:, max(h0, 0):min(h0 + kh, h), max(w0, 0):min(w0 + kw, wd), :]
                mx[:, i, j, :] = win.max(axis=(1, 2))
                av[:, i, j, :] = win.mean(axis=(1, 2))  # valid cells only
        slots = [kh, kw, s, s, pt, pb, pl, pr]
        w.case("MAX_POOL", [x.astype(np.float32)], mx.astype(np.float32), slots)
        w.case("AVG_POOL", [x.astype(np.float32)], av.astype(np.float32), slots)


# ---------------------------------------------------------------- normalisation
def gen_norm(w):
    for shape, eps in [((2, 3, 3, 5), 1e-3), ((4, 6), 1e-5), ((1, 2, 2, 300), 1e-3)]:
        c = shape[-1]
        x, scale, offset, mean = f32(shape), f32((c,)), f32((c,)), f32((c,))
        var = f32((c,), 0.01, 4.0)
        y = scale.astype(np.float64) * (x - mean.astype(np.float64)) / np.sqrt(var.astype(np.float64) + eps) + offset
        w.case("BATCH_NORM", [x, scale, offset, mean, var], y.astype(np.float32), [float(eps)])
    for shape, scale in [((3, 7), 1.0), ((2, 2, 5), 50.0), ((1, 1000), 10.0), ((4,), 1.0)]:
        x = f32(shape) * np.float32(scale)
        z = x.astype(np.float64) - x.max(axis=-1, keepdims=True)
        lse = np.log(np.exp(z).sum(axis=-1, keepdims=True))
        w.case("SOFTMAX", [x], np.exp(z - lse).astype(np.float32))
        w.case("LOG_SOFTMAX", [x], (z - lse).astype(np.float32))


# ---------------------------------------------------------------- reductions
def gen_reduce(w):
    x = f32((2, 3, 4, 5))
    fns = {"REDUCE_SUM": np.sum, "REDUCE_MEAN": np.mean, "REDUCE_MAX": np.max}
    for op, fn in fns.items():
        for axes in [(1, 2), (3,), (0,), (0, 1, 2, 3), (0, 2), (1, 3)]:
            for keep in (0, 1):
                exp = fn(x.astype(np.float64), axis=axes, keepdims=bool(keep)).astype(np.float32)
                mask = [1 if d in axes else 0 for d in range(4)]
                w.case(op, [x], np.asarray(exp), arr8(mask) + [keep])
        y = f32((7,))
        w.case(op, [y], np.asarray(fn(y.astype(np.float64))).astype(np.float32), arr8([1]) + [0])
    for shape, axis, dt in [((3, 7), 1, np.int64), ((4, 5, 6), 1, np.int64), ((4, 5, 6), -1, np.int32),
                            ((5, 3), 0, np.int64)]:
        # small integers force ties: the first maximum must win
        x = rng.integers(0, 4, size=shape).astype(np.float32)
        w.case("ARGMAX", [x], np.argmax(x, axis=axis).astype(dt), [axis])


# ---------------------------------------------------------------- data movement
def gen_movement(w):
    for shape, perm, dt in [((2, 3, 4), (2, 0, 1), np.float32), ((2, 3, 4, 5), (0, 3, 1, 2), np.float32),
                            ((3, 4), (1, 0), np.int32), ((2, 3, 4), (0, 1, 2), np.float32),
                            ((2, 1, 3), (1, 2, 0), np.int64)]:
        x = (f32(shape) * 100).astype(dt)
        w.case("TRANSPOSE", [x], np.transpose(x, perm), arr8(perm))

    for shapes, axis in [([(2, 3, 4), (2, 5, 4), (2, 1, 4)], 1), ([(2, 3), (2, 4)], -1),
                         ([(1, 3), (2, 3), (3, 3)], 0), ([(2, 2, 3)], 2), ([(1, 2, 2, 3), (1, 2, 2, 5)], 3)]:
        xs = [f32(s) for s in shapes]
        w.case("CONCAT", xs, np.concatenate(xs, axis=axis), [axis])

    for shape, before, after, value, dt in [((2, 3, 4), (0, 1, 2), (1, 0, 3), 0.0, np.float32),
                                            ((1, 4, 4, 2), (0, 2, 1, 0), (0, 1, 2, 0), 1.5, np.float32),
                                            ((3, 2), (1, 1), (2, 0), 7.0, np.int32), ((5,), (3,), (0,), -1.0, np.float32)]:
        x = (f32(shape) * 10).astype(dt)
        exp = np.pad(x, list(zip(before, after)), constant_values=dt(value))
        w.case("PAD", [x], exp, arr8(before) + arr8(after) + [float(value)])

    x = f32((5, 6, 7))
    for begin, stride, count, shrink in [
            ((1, 0, 2), (1, 2, 1), (3, 3, 4), ()),
            ((4, 5, 6), (-1, -2, -3), (5, 3, 3), ()),
            ((2, 0, 0), (1, 1, 1), (1, 6, 7), (0,)),
            ((0, 3, 6), (2, 1, -1), (3, 1, 7), (1,)),
            ((0, 0, 0), (1, 1, 1), (5, 6, 7), ())]:
        idx = tuple(slice(b, b + s * cnt if b + s * cnt >= 0 else None, s) for b, s, cnt in zip(begin, stride, count))
        exp = x[idx]
        assert exp.shape == count
        exp = exp.reshape([cnt for d, cnt in enumerate(count) if d not in shrink])
        w.case("SLICE", [x], exp, arr8(begin) + arr8(stride) + arr8(count))
    xi = rng.integers(0, 100, size=(4, 3)).astype(np.int64)
    w.case("SLICE", [xi], xi[::-1, 1:3], arr8((3, 1)) + arr8((-1, 1)) + arr8((4, 2)))

    for shape, mult, dt in [((2, 3), (2, 3), np.float32), ((1, 3, 2), (3, 1, 2), np.float32),
                            ((4,), (3,), np.int32), ((2, 2), (1, 1), np.float32)]:
        x = (f32(shape) * 10).astype(dt)
        w.case("TILE", [x], np.tile(x, mult), arr8(mult))

    for ishape, depth, axis, on, off, idt, odt in [
            ((6,), 4, -1, 1.0, 0.0, np.int32, np.float32), ((2, 3), 5, 0, 2.0, -1.0, np.int64, np.float32),
            ((2, 3), 5, 1, 1.0, 0.0, np.int64, np.float32), ((2, 3), 3, -1, 1.0, 0.0, np.int32, np.int32)]:
        ind = rng.integers(-1, depth + 1, size=ishape).astype(idt)  # includes out-of-range indices
        hot = (ind[..., None] == np.arange(depth)).astype(np.float64)
        hot = np.where(hot > 0, on, off)
        ax = len(ishape) if axis < 0 else axis
        hot = np.moveaxis(hot, -1, ax).astype(odt)
        w.case("ONE_HOT", [ind], hot, [depth, axis, float(on), float(off)])


# ---------------------------------------------------------------- comparisons, logic, select
def gen_compare_logic(w):
    fns = {"LESS": np.less, "LESS_EQUAL": np.less_equal, "GREATER": np.greater,
           "GREATER_EQUAL": np.greater_equal, "EQUAL": np.equal, "NOT_EQUAL": np.not_equal}
    for op, fn in fns.items():
        for sa, sb in BIN_SHAPES:
            # small integers as floats, so that equal pairs occur
            a = rng.integers(-2, 3, size=sa).astype(np.float32)
            b = rng.integers(-2, 3, size=sb).astype(np.float32)
            w.case(op, [a, b], fn(a, b))
        for dt in (np.int32, np.int64, np.uint8, np.int8, np.float64, np.float16):
            a = rng.integers(0 if dt == np.uint8 else -3, 4, size=(3, 4)).astype(dt)
            b = rng.integers(0 if dt == np.uint8 else -3, 4, size=(4,)).astype(dt)
            w.case(op, [a, b], fn(a, b))
        # NaN compares false (true for NOT_EQUAL), as in TF and numpy
        a = np.array([np.nan, 1.0, np.nan], dtype=np.float32)
        b = np.array([1.0, np.nan, np.nan], dtype=np.float32)
        w.case(op, [a, b], fn(a, b))
    big = np.array([2**63 + 5, 3, 2**64 - 1], dtype=np.uint64)
    w.case("LESS", [big, np.array([2], dtype=np.uint64)], big < 2)  # beyond int64
    ba, bb = rng.integers(0, 2, size=(2, 3)).astype(np.bool_), rng.integers(0, 2, size=(3,)).astype(np.bool_)
    w.case("EQUAL", [ba, bb], ba == bb)
    for sa, sb in BIN_SHAPES:
        a = rng.integers(0, 2, size=sa).astype(np.bool_)
        b = rng.integers(0, 2, size=sb).astype(np.bool_)
        w.case("LOGICAL_AND", [a, b], np.logical_and(a, b))
        w.case("LOGICAL_OR", [a, b], np.logical_or(a, b))
        w.case("LOGICAL_NOT", [a], np.logical_not(a))
    # SELECT: same-shape, scalar and first-dimension vector conditions, several dtypes
    t, e = f32((3, 2, 4)), f32((3, 2, 4))
    c = rng.integers(0, 2, size=(3, 2, 4)).astype(np.bool_)
    w.case("SELECT", [c, t, e], np.where(c, t, e))
    for cv in (True, False):
        w.case("SELECT", [np.array(cv), t, e], t if cv else e)
    cv = np.array([True, False, True])
    w.case("SELECT", [cv, t, e], np.where(cv[:, None, None], t, e))
    ti, ei = t.astype(np.int64), e.astype(np.int64)
    w.case("SELECT", [c, ti, ei], np.where(c, ti, ei))
    tb, eb = t.astype(np.uint8), e.astype(np.uint8)
    w.case("SELECT", [cv, tb, eb], np.where(cv[:, None, None], tb, eb))
    w.case("SELECT", [np.array(True), np.float64(2.5), np.float64(-1.0)], np.float64(2.5))
    w.case("SELECT", [np.zeros((0, 3), np.bool_), np.zeros((0, 3), np.float32), np.zeros((0, 3), np.float32)],
           np.zeros((0, 3), np.float32))


# ---------------------------------------------------------------- floor division
def gen_floor_div(w):
    for sa, sb in BIN_SHAPES:
        a = f32(sa, -5.0, 5.0)
        b = f32(sb, 0.5, 3.0) * rng.choice([-1, 1], size=sb).astype(np.float32)
        w.case("FLOOR_DIV", [a, b], np.floor(a / b).astype(np.float32))
    for dt in (np.int32, np.int64, np.int8, np.int16):
        a = rng.integers(-100, 100, size=(3, 5)).astype(dt)
        b = (rng.integers(1, 9, size=(5,)) * rng.choice([-1, 1], size=(5,))).astype(dt)
        w.case("FLOOR_DIV", [a, b], np.floor_divide(a, b).astype(dt))  # rounds toward -inf
    u = rng.integers(0, 256, size=(2, 4)).astype(np.uint8)
    w.case("FLOOR_DIV", [u, np.array([3, 7, 1, 255], np.uint8)], u // np.array([3, 7, 1, 255], np.uint8))
    d = f32((2, 3)).astype(np.float64)
    w.case("FLOOR_DIV", [d, np.float64(-0.7)], np.floor(d / -0.7))
    # x // 0 gives 0 (TF raises "Integer division by zero" at run time); INT_MIN // -1 wraps
    w.case("FLOOR_DIV", [np.array([7, -7, -2**31], np.int32), np.array([0, 0, -1], np.int32)],
           np.array([0, 0, -2**31], np.int32))


# ---------------------------------------------------------------- other dtypes
def gen_generic_dtypes(w):
    """The kernels' generic paths: dtypes without a dedicated loop."""
    xi = rng.integers(-50, 50, size=(3, 4)).astype(np.int32)
    w.case("RELU", [xi], np.maximum(xi, 0))
    w.case("RELU6", [xi.astype(np.int64)], np.clip(xi, 0, 6).astype(np.int64))
    w.case("NEG", [xi.astype(np.int8)], (-xi).astype(np.int8))
    w.case("SQUARE", [xi.astype(np.int16)], (xi * xi).astype(np.int16))
    w.case("ABS", [xi], np.abs(xi))
    xd = f32((2, 5)).astype(np.float64)
    w.case("TANH", [xd], np.tanh(xd))
    w.case("EXP", [xd], np.exp(xd))
    # f16 sums and products of f16 values are exact in double: one rounding, as numpy
    a16, b16 = f32((2, 3)).astype(np.float16), f32((3,)).astype(np.float16)
    w.case("ADD", [a16, b16], a16 + b16)
    w.case("MUL", [a16, b16], a16 * b16)
    a8 = rng.integers(-128, 128, size=(4, 5)).astype(np.int8)
    b8 = rng.integers(-128, 128, size=(5,)).astype(np.int8)
    w.case("ADD", [a8, b8], (a8.astype(np.int64) + b8).astype(np.int8))  # wraps
    u8a = rng.integers(0, 256, size=(3, 4)).astype(np.uint8)
    u8b = rng.integers(0, 256, size=(3, 1)).astype(np.uint8)
    w.case("MAXIMUM", [u8a, u8b], np.maximum(u8a, u8b))
    w.case("SUB", [u8a, u8b], (u8a.astype(np.int64) - u8b).astype(np.uint8))
    pa = rng.integers(1, 100, size=(6,)).astype(np.int32)
    pb = rng.integers(1, 10, size=(6,)).astype(np.int32)
    w.case("DIV", [pa, pb], (pa // pb).astype(np.int32))  # positive: floor == trunc
    dd = f32((2, 3)).astype(np.float64)
    w.case("DIV", [dd, dd[:1] + 5.0], dd / (dd[:1] + 5.0))
    bd = f32((2, 3, 3)).astype(np.float64)
    w.case("BIAS_ADD", [bd, bd[0, 0]], bd + bd[0, 0])
    xr = rng.integers(-1000, 1000, size=(3, 4, 5)).astype(np.int32)
    w.case("REDUCE_SUM", [xr], xr.sum(axis=(0, 2)).astype(np.int32), arr8([1, 0, 1]) + [0])
    w.case("REDUCE_MAX", [xr.astype(np.int64)], xr.max(axis=2).astype(np.int64), arr8([0, 0, 1]) + [1])
    xm = rng.integers(0, 100, size=(4, 6)).astype(np.int64)
    w.case("REDUCE_MEAN", [xm], np.trunc(xm.mean(axis=1)).astype(np.int64), arr8([0, 1]) + [0])
    w.case("REDUCE_MEAN", [xd], xd.mean(axis=0), arr8([1, 0]) + [0])
    xa = rng.integers(0, 5, size=(4, 6)).astype(np.int32)
    w.case("ARGMAX", [xa], np.argmax(xa, axis=1).astype(np.int64), [1])
    w.case("ARGMAX", [xd], np.argmax(xd, axis=0).astype(np.int64), [0])
    ind = rng.integers(0, 4, size=(5,)).astype(np.uint8)
    w.case("ONE_HOT", [ind], (ind[:, None] == np.arange(4)).astype(np.float32), [4, -1, 1.0, 0.0])


def main():
    if len(sys.argv) != 2:
        sys.stderr.write("usage: gen_refs.py OUT_DIR\n")
        return 2
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    w = Writer(out_dir)
    for gen in (gen_views, gen_unary, gen_binary, gen_bias_add, gen_cast, gen_matmul, gen_conv, gen_conv_fast,
                gen_dw_paths, gen_conv_transpose, gen_pool, gen_norm, gen_reduce, gen_movement, gen_generic_dtypes,
                gen_compare_logic, gen_floor_div):
        gen(w)
    w.finish()
    print("gen_refs: %d cases in %s" % (len(w.lines), out_dir))
    return 0


if __name__ == "__main__":
    sys.exit(main())

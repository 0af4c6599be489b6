#!/usr/bin/env python3
"""Writes the binary bad-input cases into OUT_DIR, from real files of SHARED_DIR/testdata
damaged in known ways, and a manifest OUT_DIR/cases.tsv read by tests/scripts/bad_inputs.sh:

    NAME <TAB> STATUS <TAB> REGEX <TAB> COMMAND

COMMAND is split on spaces; {slimc} {ckpt} {exe_in} {exe_ck} {half} {exe_part} {part} {d} {out} are filled in by
the runner. REGEX must match the first line of stderr, the whole of it for the runtime
tools (one-line errors). Standard library only.  usage: make_cases.py SHARED_DIR OUT_DIR"""
import os
import re
import struct
import sys

SHARED, OUT = sys.argv[1], sys.argv[2]
CK = os.path.join(SHARED, "testdata/tf-checkpoints")
HALF = os.path.join(CK, "tf-serving-testdata/saved_model_half_plus_two_mkl/00000123/variables/variables")
HALF_SNAPPY = os.path.join(CK, "tf-serving-testdata/saved_model_half_plus_two_cpu/00000123/variables/variables")
PGM = os.path.join(SHARED, "testdata/images/person.pgm")
cases = []


def read(path):
    with open(path, "rb") as f:
        return f.read()


def put(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def case(name, status, regex, command):
    assert "\t" not in regex and "\t" not in command and name not in (c[0] for c in cases), name
    cases.append((name, str(status), regex, command))


# ---- CRC32C, varints, protobuf, SSTable: just enough to write checkpoints ----
_T = []
for i in range(256):
    c = i
    for _ in range(8):
        c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
    _T.append(c)


def crc32c(data, crc=0):
    crc ^= 0xFFFFFFFF
    for b in data:
        crc = _T[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def mask(c):
    return ((((c >> 15) | (c << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


def varint(v):
    v &= (1 << 64) - 1  # negative int64 as protobuf writes it: ten bytes
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def pb_varint(field, v):
    return varint(field << 3) + varint(v)


def pb_bytes(field, b):
    return varint(field << 3 | 2) + varint(len(b)) + b


def pb_fixed32(field, v):
    return varint(field << 3 | 5) + struct.pack("<I", v)


def shape_proto(dims):
    return b"".join(pb_bytes(2, pb_varint(1, d)) for d in dims)


def entry_proto(dtype, dims, shard, offset, size, crc, extra=b""):
    return (pb_varint(1, dtype) + pb_bytes(2, shape_proto(dims)) + (pb_varint(3, shard) if shard else b"")
            + (pb_varint(4, offset) if offset else b"") + pb_varint(5, size) + pb_fixed32(6, crc) + extra)


def header_proto(num_shards=1, endianness=0, producer=1, min_consumer=None, bad=None):
    ver = pb_varint(1, producer)
    if min_consumer is not None:
        ver += pb_varint(2, min_consumer)
    if bad is not None:
        ver += pb_varint(3, bad)
    return pb_varint(1, num_shards) + (pb_varint(2, endianness) if endianness else b"") + pb_bytes(3, ver)


def block(entries, restart_every=1):
    out, restarts, prev = bytearray(), [], b""
    for i, (k, v) in enumerate(entries):
        shared = 0
        if i % restart_every:
            while shared < min(len(k), len(prev)) and k[shared] == prev[shared]:
                shared += 1
        else:
            restarts.append(len(out))
        out += varint(shared) + varint(len(k) - shared) + varint(len(v)) + k[shared:] + v
        prev = k
    for r in restarts:
        out += struct.pack("<I", r)
    out += struct.pack("<I", len(restarts))
    return bytes(out)


def with_trailer(data, btype=0, good_crc=True):
    c = mask(crc32c(bytes([btype]), crc32c(data)))
    return data + bytes([btype]) + struct.pack("<I", c if good_crc else c ^ 1)


def table(entries, footer_magic=0xDB4775248B80FB57, data_blocks=1, bad_crc=None):
    """entries: [(key, value)] in the order given (not sorted here, so tests can unsort them)."""
    out = bytearray()
    index = []
    per = max(1, -(-len(entries) // data_blocks))
    for bi in range(0, len(entries), per):
        chunk = entries[bi:bi + per]
        b = block(chunk)
        index.append((chunk[-1][0], varint(len(out)) + varint(len(b))))
        out += with_trailer(b, good_crc=bad_crc != "data")
    meta = block([])
    meta_h = varint(len(out)) + varint(len(meta))
    out += with_trailer(meta)
    ib = block(index)
    index_h = varint(len(out)) + varint(len(ib))
    out += with_trailer(ib, good_crc=bad_crc != "index")
    footer = meta_h + index_h
    footer += b"\0" * (40 - len(footer)) + struct.pack("<Q", footer_magic)
    return bytes(out + footer)


# ---- checkpoints ----
F32 = 1
A_VAL, B_VAL = struct.pack("<f", 0.5), struct.pack("<f", 2.0)
DATA = A_VAL + B_VAL


def ckpt(name, entries_fn=None, header=None, data=DATA, **kw):
    """Writes NAME.index / NAME.data-00000-of-00001 for variables a and b (scalars)."""
    ea = entry_proto(F32, [], 0, 0, 4, mask(crc32c(A_VAL)))
    eb = entry_proto(F32, [], 0, 4, 4, mask(crc32c(B_VAL)))
    entries = [(b"", header if header is not None else header_proto()), (b"a", ea), (b"b", eb)]
    if entries_fn:
        entries = entries_fn(entries)
    put(name + ".index", table(entries, **kw))
    if data is not None:
        put(name + ".data-00000-of-00001", data)


def bad_ckpt(name, regex, status=1, ls_ok=False):
    """One damaged checkpoint, fed to every reader: slim-ckpt ls/dump, the executable's
    --checkpoint and slimc's --checkpoint embedding. LS_OK: the damage is in tensor data
    or fields that `ls` does not read, so listing must still succeed."""
    if ls_ok:
        case(name + "-ls", 0, "^$", "{ckpt} ls {d}/" + name)
    else:
        case(name + "-ls", status, "^slim-ckpt: .*" + regex, "{ckpt} ls {d}/" + name)
    case(name + "-dump", status, "^slim-ckpt: .*" + regex, "{ckpt} dump {d}/" + name + " b")
    case(name + "-exe", status, "^[a-z_]+: .*" + regex, "{exe_ck} --checkpoint={d}/" + name + " --input={d}/x4.npy --output={out}")
    case(name + "-slimc", status, "(error: .*)?" + regex, "{slimc} --checkpoint={d}/" + name + " {half} -o {out}")


ckpt("ok")  # a sanity case: the generator's own checkpoint must load
case("ok-ls", 0, "^$", "{ckpt} ls {d}/ok")
case("ok-exe", 0, "^$", "{exe_ck} --checkpoint={d}/ok --input={d}/x4.npy --output={d}/ok.out.npy")


def replace(key, value):  # damages of 'a' are reported when reading 'b' (all-or-nothing loads; dump b)
    return lambda es: [(k, value if k == key else v) for k, v in es]


ckpt("bad-magic", footer_magic=0x0123456789ABCDEF)
bad_ckpt("bad-magic", "bad table magic")
ckpt("crc-data-block", bad_crc="data")
bad_ckpt("crc-data-block", "CRC mismatch")
ckpt("crc-index-block", bad_crc="index")
bad_ckpt("crc-index-block", "CRC mismatch")
ckpt("dup-key", lambda es: es + [es[-1]])
bad_ckpt("dup-key", "keys are not in increasing order at 'b'")
ckpt("unsorted", lambda es: [es[0], es[2], es[1]])
bad_ckpt("unsorted", "keys are not in increasing order at 'a'")
ckpt("no-header", lambda es: es[1:])
bad_ckpt("no-header", "the first key is not the header entry")
ckpt("empty-table", lambda es: [])
bad_ckpt("empty-table", "no header entry")
ckpt("nul-key", lambda es: es + [(b"c\0d", es[2][1])])
bad_ckpt("nul-key", "contains a NUL byte")
ckpt("big-endian", header=header_proto(endianness=1))
bad_ckpt("big-endian", "big-endian checkpoints are not supported")
ckpt("shards-0", header=header_proto(num_shards=0))
bad_ckpt("shards-0", "invalid shard count 0")
ckpt("shards-neg", header=header_proto(num_shards=-1))
bad_ckpt("shards-neg", "invalid shard count")
ckpt("shards-2^31", header=header_proto(num_shards=1 << 31))
bad_ckpt("shards-2^31", "invalid shard count")
ckpt("shards-2", header=header_proto(num_shards=2))
bad_ckpt("shards-2", "cannot open data shard")
ckpt("min-consumer", header=header_proto(min_consumer=1000))
bad_ckpt("min-consumer", "needs a newer reader")
ckpt("header-garbage", header=b"\xff\xff\xff")
bad_ckpt("header-garbage", "malformed header entry")

# entries of 'a' with damaged fields (every other byte of the table is valid)
crc_b = mask(crc32c(B_VAL))
# header fields ls lists without judging (data position, size, checksum, and dims and
# dtypes it can print); the tensor read rejects them
LS_OK = {"dim-2^31", "dim-2^63-1", "dims-past-memory", "size-2^31", "size-2^63", "size-neg", "size-mismatch",
         "offset-past-end", "offset-2^63", "offset-neg", "shard-out-of-range", "shard-neg", "dtype-bad",
         "dtype-string", "dtype-int64", "crc-tensor", "proto-empty"}
for label, proto, regex in [
    ("dim-neg", entry_proto(F32, [-1], 0, 4, 4, crc_b), "entry 'b'"),
    ("dim-2^31", entry_proto(F32, [1 << 31], 0, 4, 4, crc_b), "'b'"),
    ("dim-2^63-1", entry_proto(F32, [(1 << 63) - 1], 0, 4, 4, crc_b), "'b'"),
    ("dims-product-overflow", entry_proto(F32, [1 << 32, 1 << 32], 0, 4, 4, crc_b), "'b'"),
    ("dims-past-memory", entry_proto(F32, [100000, 100000, 100000], 0, 4, 4, crc_b), "'b'"),
    ("rank-9", entry_proto(F32, [1] * 9, 0, 4, 4, crc_b), "'b'"),
    ("size-2^31", entry_proto(F32, [], 0, 4, 1 << 31, crc_b), "'b'"),
    ("size-2^63", entry_proto(F32, [], 0, 4, 1 << 63, crc_b), "'b'"),
    ("size-neg", entry_proto(F32, [], 0, 4, -4, crc_b), "'b'"),
    ("size-mismatch", entry_proto(F32, [2], 0, 4, 4, crc_b), "'b'"),
    ("offset-past-end", entry_proto(F32, [], 0, 1000, 4, crc_b), "'b'"),
    ("offset-2^63", entry_proto(F32, [], 0, (1 << 63) - 2, 4, crc_b), "'b'"),
    ("offset-neg", entry_proto(F32, [], 0, -8, 4, crc_b), "'b'"),
    ("shard-out-of-range", entry_proto(F32, [], 3, 0, 4, crc_b), "shard 3 out of range"),
    ("shard-neg", entry_proto(F32, [], -1, 0, 4, crc_b), "'b'"),
    ("dtype-bad", entry_proto(99, [], 0, 4, 4, crc_b), "'b'"),
    ("dtype-string", entry_proto(7, [], 0, 4, 4, crc_b), "'b'"),
    ("dtype-int64", entry_proto(9, [], 0, 4, 8, crc_b), "'b'"),
    ("crc-tensor", entry_proto(F32, [], 0, 4, 4, crc_b ^ 0x10), "CRC32C mismatch"),
    ("proto-truncated", entry_proto(F32, [], 0, 4, 4, crc_b)[:-3], "'b'"),
    ("proto-len-2^31", b"\x12\x80\x80\x80\x80\x08", "'b'"),
    ("proto-len-2^63", b"\x12" + varint((1 << 63) - 1), "'b'"),
    ("proto-wire-7", b"\x0f\x01", "'b'"),
    ("proto-empty", b"", "'b'"),
]:
    ckpt("entry-" + label, replace(b"b", proto))
    bad_ckpt("entry-" + label, regex, ls_ok=label in LS_OK)

# truncations of a real index at every structural boundary and a few bytes either side
for src, tag in [(HALF, "mkl"), (HALF_SNAPPY, "snappy")]:
    idx = read(src + ".index")
    data = read(src + ".data-00000-of-00001")
    cuts = sorted(set([0, 1, 8, 47, 48, len(idx) - 48, len(idx) - 47, len(idx) - 8, len(idx) - 5, len(idx) - 1]))
    for n in cuts:
        name = "trunc-%s-index-%d" % (tag, n)
        put(name + ".index", idx[:n])
        put(name + ".data-00000-of-00001", data)
        bad_ckpt(name, "(too short|bad table magic|malformed|CRC|truncat)")
    # one flipped byte in each region: data block, metaindex/index blocks, footer handles
    for pos in [0, 7, 20, len(idx) - 60, len(idx) - 45, len(idx) - 1]:
        name = "flip-%s-index-%d" % (tag, pos)
        b = bytearray(idx)
        b[pos] ^= 0x5A
        put(name + ".index", bytes(b))
        put(name + ".data-00000-of-00001", data)
        bad_ckpt(name, "(bad table magic|malformed|CRC|Snappy|block|out of range|past the end|beyond)")
    # data file: truncated (every tensor boundary), empty, missing, one flipped bit
    for n in [0, 3, 4, 7]:
        name = "trunc-%s-data-%d" % (tag, n)
        put(name + ".index", idx)
        put(name + ".data-00000-of-00001", data[:n])
        bad_ckpt(name, "(past the end|beyond|truncat|out of range|short|outside)", ls_ok=True)
    name = "flip-%s-data" % tag
    put(name + ".index", idx)
    put(name + ".data-00000-of-00001", bytes(x ^ 1 for x in data))  # one bit of every tensor
    bad_ckpt(name, "CRC32C mismatch", ls_ok=True)
    name = "missing-%s-data" % tag
    put(name + ".index", idx)
    bad_ckpt(name, "cannot open data shard")
bad_ckpt("no-such-checkpoint", "cannot open")
os.mkdir(os.path.join(OUT, "dir-no-checkpoint"))
bad_ckpt("dir-no-checkpoint", "without a 'checkpoint' file")
os.mkdir(os.path.join(OUT, "dir-bad-state"))
with open(os.path.join(OUT, "dir-bad-state/checkpoint"), "w") as f:
    f.write("garbage\n")
bad_ckpt("dir-bad-state", "no valid model_checkpoint_path")
ckpt("wrong-shape", replace(b"a", entry_proto(F32, [2], 0, 0, 8, mask(crc32c(DATA)))))
case("wrong-shape-exe", 1, r"^[a-z_]+: .*'a'.*\[2\]", "{exe_ck} --checkpoint={d}/wrong-shape --input={d}/x4.npy --output={out}")
case("wrong-shape-slimc", 1, r"'a'.*\[2\]", "{slimc} --checkpoint={d}/wrong-shape {half} -o {out}")
ckpt("missing-key", lambda es: es[:2])
case("missing-key-exe", 1, r"^[a-z_]+: .*'b'", "{exe_ck} --checkpoint={d}/missing-key --input={d}/x4.npy --output={out}")
case("missing-key-slimc", 1, r"'b'", "{slimc} --checkpoint={d}/missing-key {half} -o {out}")
case("missing-key-dump", 1, r"^slim-ckpt: .*'b'", "{ckpt} dump {d}/missing-key b")


# ---- partitioned variables: 'w' [4,2] of exe_part.slim stored as row slices ----
def oc_signed(v):  # OrderedCode's signed increasing encoding, small values only
    assert -64 <= v < 64
    return bytes([0x80 ^ (v & 0xFF)])


def slice_key(name, extents):  # extents: [(start, length)], length -1 = the whole dimension
    return (b"\0" + name + b"\0\1" + bytes([1, len(extents)]) if extents else b"\0" + name + b"\0\1\0") + \
        b"".join(oc_signed(s) + oc_signed(n) for s, n in extents)


def slice_proto(extents):
    return b"".join(pb_bytes(1, pb_varint(1, s) + (pb_varint(2, n) if n >= 0 else b"")) for s, n in extents)


W = [float(i + 1) for i in range(16)]  # row r of w is [2r+1, 2r+2] (rows past 3 for part-outside)


def part_ckpt(name, rows):
    """Writes checkpoint NAME whose tensor 'w' [4,2] is stored as one slice per (start, count) of ROWS."""
    data, ents = b"", []
    for start, count in rows:
        vals = struct.pack("<%df" % (2 * count), *W[2 * start:2 * (start + count)])
        ext = [(start, count), (0, -1)]
        ents.append((slice_key(b"w", ext), entry_proto(F32, [count, 2], 0, len(data), len(vals),
                                                       mask(crc32c(vals)))))
        data += vals
    full = pb_varint(1, F32) + pb_bytes(2, shape_proto([4, 2])) + b"".join(
        pb_bytes(7, slice_proto([(s, c), (0, -1)])) for s, c in rows)
    ents = sorted(dict(reversed(ents)).items())  # one data entry per distinct slice
    put(name + ".index", table([(b"", header_proto())] + ents + [(b"w", full)]))
    put(name + ".data-00000-of-00001", data)


def bad_part(name, regex):
    case(name + "-ls", 1, "^slim-ckpt: .*" + regex, "{ckpt} ls {d}/" + name)
    case(name + "-dump", 1, "^slim-ckpt: .*" + regex, "{ckpt} dump {d}/" + name + " w")
    case(name + "-exe", 1, "^[a-z_]+: .*" + regex, "{exe_part} --checkpoint={d}/" + name + " --input={d}/x8.npy --output={out}")
    case(name + "-slimc", 1, "(error: .*)?" + regex, "{slimc} --checkpoint={d}/" + name + " {part} -o {out}")


part_ckpt("part-ok", [(0, 2), (2, 2)])  # the generator's own slices must load
case("ok-part-dump", 0, "^$", "{ckpt} dump {d}/part-ok w")
case("ok-part-exe", 0, "^$", "{exe_part} --checkpoint={d}/part-ok --input={d}/x8.npy --output={d}/part-ok.out.npy")
case("ok-part-slimc", 0, "^$", "{slimc} --checkpoint={d}/part-ok {part} -o {d}/part-ok.exe")
part_ckpt("part-overlap-gap", [(0, 2), (1, 2)])  # rows 0-1 and 1-2: row 1 twice, row 3 never; 8 of 8 elements
bad_part("part-overlap-gap", "tensor 'w': two of its slices overlap")
part_ckpt("part-gap", [(0, 2), (3, 1)])
bad_part("part-gap", "tensor 'w': its 2 slices cover 6 of 8 elements")
part_ckpt("part-overlap", [(0, 3), (1, 3)])
bad_part("part-overlap", "tensor 'w': its slices hold more than its 8 elements")
part_ckpt("part-outside", [(0, 2), (3, 2)])
bad_part("part-outside", "tensor 'w': slice 1 lies outside the tensor")
part_ckpt("part-same-twice", [(0, 2), (0, 2)])  # two identical extents: 8 elements, rows 2-3 missing
bad_part("part-same-twice", "tensor 'w': two of its slices overlap")

# slimc --checkpoint embeds nothing the executable would refuse: another float dtype for a
# float32 variable is the same dtype-mismatch error in both (it was converted silently)
for dt, dname, val in [(19, "float16", struct.pack("<e", 2.0)), (14, "bfloat16", b"\x00\x40"),
                       (2, "float64", struct.pack("<d", 2.0))]:
    name = "dtype-" + dname
    ckpt(name, replace(b"b", entry_proto(dt, [], 0, 4, len(val), mask(crc32c(val)))), data=A_VAL + val)
    regex = "key 'b' has dtype %s but the model expects float32" % dname
    case(name + "-exe", 1, "^[a-z_]+: .*" + regex, "{exe_ck} --checkpoint={d}/" + name + " --input={d}/x4.npy --output={out}")
    case(name + "-slimc", 1, "error: .*" + regex, "{slimc} --checkpoint={d}/" + name + " {half} -o {out}")
    case(name + "-dump", 0, "^$", "{ckpt} dump {d}/" + name + " b")

# 100k keyword arguments, literal and through **: the repeated-keyword checks of the parser
# and the evaluator compared every pair (23-32 s); linear now (2 s, 4 MB of source)
N_KW = 100000
with open(os.path.join(OUT, "kwargs-100k.slim"), "w") as f:
    f.write("def f(**kw):\n    return len(kw)\n")
    f.write("assert f(" + ", ".join("a%d=%d" % (i, i) for i in range(N_KW)) + ") == %d\n" % N_KW)
    f.write("assert f(**{'b%%d' %% i: i for i in range(%d)}) == %d\n" % (N_KW, N_KW))
    f.write("g = dict(" + ", ".join("c%d=%d" % (i, i) for i in range(N_KW)) + ")\n")
    f.write("def h(" + ", ".join("p%d=0" % i for i in range(N_KW)) + "):\n    return p%d\n" % (N_KW - 1))
    f.write("assert h(p%d=7) == 7\n" % (N_KW - 1))
    f.write("\nmodel m(x: f32[1]):\n    return x\n")
case("kwargs-100k-slimc", 0, "^$", "timeout 30 {slimc} -fsyntax-only {d}/kwargs-100k.slim -o {out}")

# ---- .npy ----
def npy(descr, shape, payload, version=(1, 0), header=None, magic=b"\x93NUMPY"):
    if header is None:
        header = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, shape)
    h = header.encode("latin-1")
    lenbytes = 2 if version[0] == 1 else 4
    total = 6 + 2 + lenbytes + len(h) + 1
    h += b" " * ((64 - total % 64) % 64) + b"\n"
    ln = struct.pack("<H", len(h)) if lenbytes == 2 else struct.pack("<I", len(h))
    return magic + bytes(version) + ln + h + payload


good = npy("<f4", "(4,)", struct.pack("<4f", 0, 1, 2, 3))
put("x4.npy", good)
put("x8.npy", npy("<f4", "(4, 2)", struct.pack("<8f", *[1.0] * 8)))  # for exe_part: the output is w


def bad_npy(name, data, regex):
    put(name + ".npy", data)
    case("npy-" + name, 1, "^[a-z_]+: .*/" + re.escape(name) + r"\.npy: .*" + regex,
         "{exe_ck} --checkpoint={d}/ok --input={d}/" + name + ".npy --output={out}")


hdr_end = good.index(b"\n") + 1
for n in [0, 1, 5, 6, 7, 8, 9, 10, 11, 40, hdr_end - 1, hdr_end, hdr_end + 1, hdr_end + 15]:
    bad_npy("trunc-%d" % n, good[:n], "(not a \\.npy|truncated)")
bad_npy("bad-magic", b"\x93NUMPZ" + good[6:], "not a .npy file")
bad_npy("version-4", good[:6] + b"\x04\x00" + good[8:], "unsupported .npy version 4.0")
bad_npy("hlen-0xffff", good[:8] + b"\xff\xff" + good[10:], "truncated .npy header")
bad_npy("hlen-2^31", npy("<f4", "(4,)", b"", version=(2, 0))[:8] + struct.pack("<I", 1 << 31) + b"{}", "truncated .npy header")
bad_npy("hlen-2^32-1", npy("<f4", "(4,)", b"", version=(3, 0))[:8] + struct.pack("<I", (1 << 32) - 1) + b"{}", "truncated .npy header")
bad_npy("dim-neg", npy("<f4", "(-4,)", b"\0" * 16), "bad .npy header dict")
bad_npy("dim-2^31", npy("<f4", "(2147483648,)", b"\0" * 16), "(truncated .npy data|expects)")
bad_npy("dim-2^63", npy("<f4", "(9223372036854775808,)", b"\0" * 16), "(overflow|bad .npy header)")
bad_npy("dim-2^64", npy("<f4", "(18446744073709551616,)", b"\0" * 16), "(overflow|bad .npy header)")
bad_npy("dims-product-overflow", npy("<f4", "(4294967296, 4294967296)", b"\0" * 16), "(overflow|bad .npy header)")
bad_npy("dims-past-memory", npy("<f4", "(100000, 100000, 100000)", b"\0" * 16), "(overflow|truncated)")
bad_npy("rank-33", npy("<f4", "(" + "1, " * 33 + ")", b"\0" * 4), "more than .* dimensions")
bad_npy("descr-object", npy("|O", "(4,)", b"\0" * 32), "object arrays are not supported")
bad_npy("descr-big-endian", npy(">f4", "(4,)", b"\0" * 16), "big-endian .npy data")
bad_npy("descr-unknown", npy("<x9", "(4,)", b"\0" * 16), "unsupported .npy dtype '<x9'")
bad_npy("fortran", npy("", "", b"\0" * 16, header="{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }"), "Fortran-order")
bad_npy("structured", npy("", "", b"\0" * 16, header="{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (4,), }"), "structured")
bad_npy("dict-unterminated", npy("", "", b"\0" * 16, header="{'descr': '<f4', 'fortran_order': False, 'shape': (4,"), "bad .npy header dict")
bad_npy("dict-string-unterminated", npy("", "", b"\0" * 16, header="{'descr': '<f4, 'fortran_order': False}"), "unsupported .npy dtype")
bad_npy("dict-dup-key", npy("", "", b"\0" * 16, header="{'descr': '<f4', 'descr': '<f8', 'fortran_order': False, 'shape': (4,), }"), "bad .npy header dict")
bad_npy("dict-missing-shape", npy("", "", b"\0" * 16, header="{'descr': '<f4', 'fortran_order': False, }"), "bad .npy header dict")
bad_npy("dict-nul", npy("", "", b"\0" * 16, header="{'descr': '<f4\0', 'fortran_order': False, 'shape': (4,), }"), "bad .npy header dict: control byte")
bad_npy("dict-utf8", npy("", "", b"\0" * 16, header="{'descr': '<f\xc3\xa4', 'fortran_order': False, 'shape': (4,), }"), "unsupported .npy dtype")
bad_npy("dict-not-dict", npy("", "", b"\0" * 16, header="[1, 2, 3]"), "bad .npy header dict")
bad_npy("data-short", npy("<f4", "(4,)", b"\0" * 15), "truncated .npy data: expected 16 bytes, found 15")
bad_npy("data-long", npy("<f4", "(4,)", b"\0" * 17), "data length mismatch")
bad_npy("data-empty", npy("<f4", "(4,)", b""), "truncated .npy data: expected 16 bytes, found 0")
put("wrong-dtype.npy", npy("<f8", "(4,)", b"\0" * 32))
case("npy-wrong-dtype", 1, r"^[a-z_]+: .*/wrong-dtype\.npy: input 'x' expects float32 \[4\], found float64 \[4\]",
     "{exe_ck} --checkpoint={d}/ok --input={d}/wrong-dtype.npy --output={out}")
put("wrong-shape.npy", npy("<f4", "(2, 2)", b"\0" * 16))
case("npy-wrong-shape", 1, r"^[a-z_]+: .*/wrong-shape\.npy: input 'x' expects float32 \[4\], found float32 \[2,2\]",
     "{exe_ck} --checkpoint={d}/ok --input={d}/wrong-shape.npy --output={out}")
case("npy-missing", 1, r"^[a-z_]+: .*no-such\.npy: cannot open", "{exe_ck} --checkpoint={d}/ok --input={d}/no-such.npy --output={out}")
case("npy-directory", 1, r"^[a-z_]+: .*dir-no-checkpoint.*(directory|cannot)", "{exe_ck} --checkpoint={d}/ok --input={d}/dir-no-checkpoint --output={out}")
put("image.pgm.npy", b"P5\n96 96\n255\n" + bytes(96 * 96))
case("pgm-into-float-input", 1, r"^[a-z_]+: .*a PGM/PPM image cannot feed input 'x'",
     "{exe_ck} --checkpoint={d}/ok --input={d}/image.pgm.npy --output={out}")

# ---- PGM / PPM into the image input of exe_in (u8 [1,96,96,1]) ----
pgm = read(PGM)
put("person.pgm", pgm)


def bad_pgm(name, data, regex):
    put(name + ".pgm", data)
    case("pgm-" + name, 1, "^[a-z_]+: .*/" + re.escape(name) + r"\.pgm: .*" + regex,
         "{exe_in} --input={d}/" + name + ".pgm --output={out}")


for n in [2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 13, 14, 100, len(pgm) - 1]:
    bad_pgm("trunc-%d" % n, pgm[:n], "(truncated|not a binary|bad PNM header|neither)")
bad_pgm("trunc-1", pgm[:1], "neither a .npy file nor a PNG, JPEG or binary PGM/PPM image|not a")
bad_pgm("magic-P2", b"P2" + pgm[2:], "neither a .npy file nor a PNG, JPEG or binary PGM/PPM image")
bad_pgm("magic-P7", b"P7" + pgm[2:], "neither a .npy file nor a PNG, JPEG or binary PGM/PPM image")
bad_pgm("width-0", b"P5\n0 96\n255\n" + bytes(9216), "empty size 0x96")
bad_pgm("width-huge", b"P5\n99999999999 96\n255\n" + bytes(16), "absurdly large")
bad_pgm("width-2^31", b"P5\n2147483648 1\n255\n" + bytes(16), "(absurdly large|too large)")
bad_pgm("size-past-memory", b"P5\n65536 65536\n255\n" + bytes(16), "too large")
bad_pgm("width-neg", b"P5\n-96 96\n255\n" + bytes(9216), "bad PNM header: expected the width")
bad_pgm("maxval-0", b"P5\n96 96\n0\n" + bytes(9216), "maxval 0 is not supported")
bad_pgm("maxval-65535", b"P5\n96 96\n65535\n" + bytes(9216 * 2), "maxval 65535 is not supported")
bad_pgm("sample-over-maxval", b"P5\n96 96\n15\n" + bytes([16]) * 9216, "sample value 16 exceeds the maxval 15")
bad_pgm("junk-after-width", b"P5\n96x 96\n255\n" + bytes(9216), "junk after the width")
bad_pgm("no-space-after-maxval", b"P5\n96 96\n255", "truncated PNM header after the maxval")
bad_pgm("comment-unterminated", b"P5\n96 96 # no end", "truncated PNM header")
bad_pgm("nul-in-header", b"P5\n96\0 96\n255\n" + bytes(9216), "junk after the width")
# (an image of another size or colour is resized / converted: docs/executable.md, "Images")
bad_pgm("data-short", b"P5\n96 96\n255\n" + bytes(9215), "truncated PNM pixel data: expected 9216 bytes, found 9215")
bad_pgm("ppm-data-short", b"P6\n96 96\n255\n" + bytes(9216), "truncated PNM pixel data: expected 27648 bytes, found 9216")

# ---- PNG / JPEG into the image input of exe_in ----
import struct
import zlib


def png(w, h, rows, ihdr_extra=b"\x08\x00\x00\x00\x00"):
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">II", w, h) + ihdr_extra) +
            chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def bad_img(name, ext, data, regex):
    put(name + ext, data)
    case("img-" + name, 1, "^[a-z_]+: .*/" + re.escape(name + ext) + ": .*" + regex,
         "{exe_in} --input={d}/" + name + ext + " --output={out}")


png_ok = png(4, 4, b"".join(b"\x00" + bytes(4) for _ in range(4)))
bad_img("png-header-only", ".png", png_ok[:8], "bad PNG image")
bad_img("png-no-idat", ".png", png_ok[:33], "bad PNG image")
bad_img("png-idat-cut", ".png", png_ok[:45], "bad PNG image")
bad_img("png-bad-zlib", ".png", png(4, 4, b"")[:41] + b"\xff" * 12, "bad PNG image")
bad_img("png-width-0", ".png", png(0, 4, b""), "bad PNG image")
bad_img("png-16k-side", ".png", png(20000, 1, b"\x00" * 20001), "(bad PNG image|too large)")
bad_img("png-64-mpixel", ".png", png(16384, 16384, b""), "too large")
bad_img("png-bad-depth", ".png", png(4, 4, b"", b"\x03\x00\x00\x00\x00"), "bad PNG image")
bad_img("jpeg-soi-only", ".jpg", b"\xff\xd8\xff", "bad JPEG image")
bad_img("jpeg-junk", ".jpg", b"\xff\xd8\xff\xe0" + bytes(200), "bad JPEG image")
put("tiny.png", png_ok)
case("img-png-into-float-input", 1, r"^[a-z_]+: .*tiny\.png: a PNG image cannot feed input 'x'",
     "{exe_ck} --checkpoint={d}/ok --input={d}/tiny.png --output={out}")

# ---- .npz (zip) into slim-ckpt from-npz ----
import io
import warnings
import zipfile


def npz(members, method=zipfile.ZIP_STORED):
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", method) as z:
        for name, data in members:
            z.writestr(name, data)
    return b.getvalue()


def bad_npz(name, data, regex):
    put(name + ".npz", data)
    case("npz-" + name, 1, "^slim-ckpt: .*/" + re.escape(name) + r"\.npz: .*" + regex,
         "{ckpt} from-npz {d}/" + name + ".npz -o {out}")


okz = npz([("a.npy", good), ("b.npy", good)])
put("ok.npz", okz)
case("npz-ok", 0, "^$", "{ckpt} from-npz {d}/ok.npz -o {d}/ok-from-npz")
eocd = okz.rindex(b"PK\x05\x06")
cdir = okz.index(b"PK\x01\x02")
for n in [0, 3, 4, 30, 40, cdir - 1, cdir, cdir + 20, eocd, eocd + 10, len(okz) - 1]:
    bad_npz("trunc-%d" % n, okz[:n], "(not a \\.npz|corrupt|truncated|unsupported)")
bad_npz("bad-magic", b"XX" + okz[2:], "(not a \\.npz|corrupt|truncated)")
b = bytearray(okz)
struct.pack_into("<I", b, eocd + 16, len(okz) + 100)  # central directory offset past the end
bad_npz("cdir-offset-past-end", bytes(b), "(corrupt|unsupported)")
b = bytearray(okz)
struct.pack_into("<H", b, eocd + 10, 0xFFFF)  # 65535 entries announced
bad_npz("cdir-count-huge", bytes(b), "(corrupt|unsupported)")
b = bytearray(okz)
struct.pack_into("<I", b, eocd + 12, 0xFFFFFFFF)  # directory size near 2^32
bad_npz("cdir-size-2^32", bytes(b), "(corrupt|unsupported)")
b = bytearray(okz)
struct.pack_into("<I", b, cdir + 42, 0x7FFFFFF0)  # member's local header offset near 2^31
bad_npz("member-offset-2^31", bytes(b), "(corrupt|truncated)")
b = bytearray(okz)
struct.pack_into("<I", b, cdir + 20, 0xFFFFFFF0)  # member's compressed size near 2^32
bad_npz("member-size-2^32", bytes(b), "(corrupt|truncated|unsupported)")
# unpacked sizes near 2^32 (found by fuzz_npz): refused before allocating, not a 4 GiB malloc
b = bytearray(okz)
struct.pack_into("<I", b, cdir + 24, 0xFFFFFF6D)
bad_npz("member-usize-2^32", bytes(b), r"member 'a\.npy': corrupt sizes: [0-9]+ bytes of stored data cannot hold 4294967149 bytes")
d = bytearray(npz([("a.npy", good * 4)], zipfile.ZIP_DEFLATED))
struct.pack_into("<I", d, d.index(b"PK\x01\x02") + 24, 0xFFFFFFF0)
bad_npz("member-deflate-usize-2^32", bytes(d), r"member 'a\.npy': corrupt sizes: [0-9]+ bytes of deflate data cannot hold 4294967280 bytes")
b = bytearray(okz)
struct.pack_into("<H", b, cdir + 10, 12)  # bzip2
bad_npz("member-bzip2", bytes(b), "unsupported zip entry")
bad_npz("member-not-npy", npz([("a.txt", b"hello")]), "member 'a.txt' is not a .npy file")
bad_npz("member-bad-npy", npz([("a.npy", b"\x93NUMPY\x01\x00\xff\x00{")]), "a: truncated .npy header")
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # zipfile warns about the duplicate we want
    put("member-dup.npz", npz([("a.npy", good), ("a.npy", good)]))
case("npz-member-dup", 1, "^slim-ckpt: .*tensor 'a' was added twice", "{ckpt} from-npz {d}/member-dup.npz -o {out}")
d = bytearray(npz([("a.npy", good * 4)], zipfile.ZIP_DEFLATED))
d[60] ^= 0xFF  # inside the deflate stream
bad_npz("member-deflate-corrupt", bytes(d), "(corrupt|truncated)")
put("empty.npz", npz([]))  # an empty checkpoint is a valid one
case("npz-empty-archive", 0, "^$", "{ckpt} from-npz {d}/empty.npz -o {d}/empty-from-npz")

with open(os.path.join(OUT, "cases.tsv"), "w") as f:
    for c in cases:
        f.write("\t".join(c) + "\n")
print(len(cases))

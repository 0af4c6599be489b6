"""Rewrites a checkpoint's .index with every block Snappy-compressed (block type 1).

TF 2.15's writers never compress (BundleWriter::Finish and MergeBundles both ask the
table builder for kNoCompression), yet its reader decompresses type-1 blocks and real
files have them; so the test takes TF's own .index, recompresses it here, and checks
that TF itself still reads the result before slimc is asked to. The compressor is a
small greedy one (literals, 1- and 2-byte-offset copies, overlapping copies) after
google/snappy's format_description.txt; the table layout is spec section 2.
"""
import struct

MASK_DELTA = 0xa282ead8


def _crc32c_table():
    t = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        t.append(c)
    return t


_T = _crc32c_table()


def crc32c(data):
    c = 0xffffffff
    for b in data:
        c = _T[(c ^ b) & 0xff] ^ (c >> 8)
    return c ^ 0xffffffff


def masked(crc):
    return ((((crc >> 15) | (crc << 17)) & 0xffffffff) + MASK_DELTA) & 0xffffffff


def varint(v):
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7f) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def get_varint(buf, p):
    v = shift = 0
    while True:
        b = buf[p]
        p += 1
        v |= (b & 0x7f) << shift
        shift += 7
        if not b & 0x80:
            return v, p


def _literal(out, lit):
    while lit:
        chunk, lit = lit[:65536], lit[65536:]
        n = len(chunk) - 1
        if n < 60:
            out.append(n << 2)
        elif n < 256:
            out += bytes([60 << 2, n])
        else:
            out += bytes([61 << 2]) + struct.pack('<H', n)
        out += chunk


def _copy(out, offset, length):
    while length > 0:
        n = min(length, 64)
        if 4 <= n <= 11 and offset < 2048:
            out += bytes([((offset >> 8) << 5) | ((n - 4) << 2) | 1, offset & 0xff])
        else:
            out += bytes([((n - 1) << 2) | 2]) + struct.pack('<H', offset)
        length -= n


def snappy_compress(data):
    out = bytearray(varint(len(data)))
    table, i, lit, n = {}, 0, 0, len(data)
    while i + 4 <= n:
        key = data[i:i + 4]
        j = table.get(key)
        table[key] = i
        if j is None or i - j > 65535:
            i += 1
            continue
        m = 4
        while i + m < n and data[j + m] == data[i + m]:
            m += 1
        _literal(out, data[lit:i])
        _copy(out, i - j, m)
        i += m
        lit = i
    _literal(out, data[lit:])
    return bytes(out)


def _block_entries(block):
    nr = struct.unpack_from('<I', block, len(block) - 4)[0]
    end = len(block) - 4 - 4 * nr
    p, key, out = 0, b'', []
    while p < end:
        shared, p = get_varint(block, p)
        nonshared, p = get_varint(block, p)
        vlen, p = get_varint(block, p)
        key = key[:shared] + block[p:p + nonshared]
        p += nonshared
        out.append((key, block[p:p + vlen]))
        p += vlen
    return out


def _encode_block(entries):
    body, restarts = bytearray(), []
    for key, val in entries:   # restart interval 1: no shared prefixes
        restarts.append(len(body))
        body += varint(0) + varint(len(key)) + varint(len(val)) + key + val
    for r in restarts or [0]:
        body += struct.pack('<I', r)
    body += struct.pack('<I', len(restarts or [0]))
    return bytes(body)


def _read_block(buf, off, size):
    assert buf[off + size] == 0, 'expected an uncompressed block from TF'
    return buf[off:off + size]


def recompress_index(path_in, path_out):
    """Copies PATH_IN to PATH_OUT with every block (data, metaindex, index) Snappy-compressed."""
    buf = open(path_in, 'rb').read()
    foot = buf[-48:]
    assert foot[40:] == bytes.fromhex('57fb808b247547db'), 'not a table'
    p = 0
    meta_off, p = get_varint(foot, p)
    meta_size, p = get_varint(foot, p)
    idx_off, p = get_varint(foot, p)
    idx_size, p = get_varint(foot, p)
    index = _block_entries(_read_block(buf, idx_off, idx_size))
    out = bytearray()

    def put(contents):
        data = snappy_compress(contents)
        off = len(out)
        out.extend(data)
        out.append(1)
        out.extend(struct.pack('<I', masked(crc32c(data + b'\x01'))))
        return varint(off) + varint(len(data))

    new_index = []
    for key, handle in index:
        off, q = get_varint(handle, 0)
        size, _ = get_varint(handle, q)
        new_index.append((key, put(_read_block(buf, off, size))))
    meta = put(_read_block(buf, meta_off, meta_size))
    idx = put(_encode_block(new_index))
    footer = meta + idx
    out += footer + bytes(40 - len(footer)) + bytes.fromhex('57fb808b247547db')
    with open(path_out, 'wb') as f:
        f.write(out)
    return len(index)

"""TensorFlow writes checkpoints, slimc reads them: every byte must come through.

usage: tf_to_slimc.py BUILD_DIR WORK_DIR

TF 2.15 (tf.compat.v1 graph mode) saves variables of every dtype slimc reads
(vectors, a rank-3 array, scalars, empty tensors, a 67 MB float32 matrix) three ways:
  plain   tf.train.Saver(): one SaveV2, one data file;
  sharded tf.train.Saver(sharded=True) over three CPU devices: SaveV2 per device,
          then MergeV2Checkpoints (3 data files), plus a 3-way partitioned variable;
  snappy  the plain .index with every block Snappy-compressed (snappy_index.py), once
          TF itself has read it back.
Then `slim-ckpt ls` must list exactly TF's keys, dtypes and shapes, `slim-ckpt dump`
must give each tensor's bytes, and an executable compiled by slimc from a model that
declares the same variables must return each of them unchanged.
"""
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import common as C  # noqa: E402
import snappy_index  # noqa: E402

import numpy as np  # noqa: E402

SHAPES = {'vec': [37], 'mat': [2, 3, 4], 'scalar': [], 'empty': [2, 0, 3]}
BIG = ('big/weights', 'float32', [4100, 4100])   # 67,240,000 bytes > 64 MiB
PART = ('part/weights', 'float32', [10, 4])      # 3 partitions, in the sharded checkpoint


def tensors():
    """[(key, dtype, shape, value)] of every checkpoint: 13 dtypes x 4 shapes, and BIG."""
    out, seed = [], 1
    for dt in C.DTYPES:
        for kind, shape in SHAPES.items():
            out.append(('dtypes/%s/%s' % (dt, kind), dt, shape, C.make_value(dt, shape, seed)))
            seed += 1
    out.append(BIG + (C.make_value('float32', BIG[2], 99),))
    return out


def write_with_tf(tf, items, prefix, sharded):
    tf1 = tf.compat.v1
    g = tf.Graph()
    with g.as_default():
        assigns, feeds = [], {}
        for i, (key, dt, shape, val) in enumerate(items):
            with tf.device('/cpu:%d' % (i % 3 if sharded else 0)):
                v = tf1.get_variable(key, shape, dtype=getattr(tf, dt), initializer=tf1.zeros_initializer())
                ph = tf1.placeholder(getattr(tf, dt), shape)
                assigns.append(v.assign(ph))
                feeds[ph] = C.tf_array(tf, dt, val)
        part = None
        if sharded:
            with tf.device('/cpu:1'):
                pv = tf1.get_variable(PART[0], PART[2], dtype=tf.float32, initializer=tf1.zeros_initializer(),
                                      partitioner=tf1.fixed_size_partitioner(3))
                part = C.make_value('float32', PART[2], 98)
                ph = tf1.placeholder(tf.float32, PART[2])
                assigns.append(pv.assign(ph))
                feeds[ph] = part
        saver = tf1.train.Saver(sharded=sharded)
        with tf1.Session(graph=g, config=tf1.ConfigProto(device_count={'CPU': 3})) as s:
            s.run(tf1.global_variables_initializer())
            s.run(assigns, feeds)
            saver.save(s, prefix, write_meta_graph=False)
    return part


def expected_ls(items):
    lines = ['%s\t%s\t[%s]' % (k, dt, ','.join(map(str, shape))) for k, dt, shape, _ in items]
    return sorted(lines, key=lambda s: s.split('\t')[0].encode())


def check_tf_reads(tf, ck, prefix, items, what):
    r = tf.train.load_checkpoint(prefix)
    keys = set(r.get_variable_to_shape_map())
    ck.ok(keys == {k for k, *_ in items}, '%s: TF lists %d keys, %d expected' % (what, len(keys), len(items)))
    for key, dt, shape, val in items:
        got = r.get_tensor(key)
        ck.same_bytes(C.raw_bytes(got), C.raw_bytes(val), '%s: TF reads %s' % (what, key))


def check_slim_ckpt(build, work, ck, prefix, items, what):
    tool = os.path.join(build, 'slim-ckpt')
    rc, out, err = C.run([tool, 'ls', prefix])
    got = out.decode().splitlines()
    want = expected_ls(items)
    if not ck.ok(rc == 0 and got == want, '%s: slim-ckpt ls (rc %d) %s' % (what, rc, err.strip())):
        for a, b in zip(got, want):
            if a != b:
                print('  got  %r\n  want %r' % (a, b))
                break
    for key, dt, shape, val in items:
        if dt == 'bfloat16':   # .npy has no bfloat16: the text form, exact for every non-NaN value
            rc, out, err = C.run([tool, 'dump', prefix, key])
            if not ck.ok(rc == 0, '%s: slim-ckpt dump %s: %s' % (what, key, err.strip())):
                continue
            f32 = np.array([float(x) for x in out.split()], np.float32)
            want = C.bf16_to_f32_bits(val.reshape(-1))
            nan = np.isnan(want)
            ck.ok(np.array_equal(np.isnan(f32), nan) and
                  C.raw_bytes(f32[~nan]) == C.raw_bytes(want[~nan]), '%s: slim-ckpt dump %s values' % (what, key))
            continue
        npy = os.path.join(work, 'dump.npy')
        rc, out, err = C.run([tool, 'dump', prefix, key, '--npy=' + npy])
        if not ck.ok(rc == 0, '%s: slim-ckpt dump %s --npy: %s' % (what, key, err.strip())):
            continue
        a = np.load(npy)
        ck.ok(a.dtype == val.dtype and list(a.shape) == list(shape),
              '%s: slim-ckpt dump %s: %s%s, expected %s%s' % (what, key, a.dtype, list(a.shape), val.dtype, shape))
        ck.same_bytes(C.raw_bytes(a), C.raw_bytes(val), '%s: slim-ckpt dump %s' % (what, key))


def out_name(key):
    return key.replace('/', '_')


def model_source(items):
    """A .slim model declaring ITEMS' variables and returning each one (bfloat16 widened)."""
    lines = ['# Generated by tests/tf_ckpt/tf_to_slimc.py: every variable, returned unchanged.',
             'import tensorflow as tf', '', 'model tf_written():', '    out = {}']
    for key, dt, shape, _ in items:
        if dt not in C.LANGUAGE_DTYPES:
            continue
        v = 'tf.get_variable(%r, %r, dtype=tf.%s)' % (key, shape, dt)
        expr = 'tf.cast(%s, tf.float32)' % v if dt == 'bfloat16' else 'tf.identity(%s)' % v
        lines.append('    out[%r] = %s' % (out_name(key), expr))
    lines.append('    return out')
    return '\n'.join(lines) + '\n'


def check_executable(exe, work, ck, prefix, items, what):
    outs, cmd = {}, [exe, '--checkpoint=' + prefix]
    for key, dt, shape, val in items:
        if dt in C.LANGUAGE_DTYPES:
            outs[key] = os.path.join(work, out_name(key) + '.npy')
            cmd.append('--output=%s=%s' % (out_name(key), outs[key]))
    rc, _, err = C.run(cmd)
    if not ck.ok(rc == 0, '%s: executable failed (%d): %s' % (what, rc, err.strip())):
        return
    for key, dt, shape, val in items:
        if key not in outs:
            continue
        a = np.load(outs[key])
        want = C.bf16_to_f32_bits(val) if dt == 'bfloat16' else val
        ck.ok(a.dtype == want.dtype and list(a.shape) == list(shape),
              '%s: executable output %s: %s%s, expected %s%s' % (what, key, a.dtype, list(a.shape), want.dtype, shape))
        ck.same_bytes(C.raw_bytes(a), C.raw_bytes(want), '%s: executable reads %s' % (what, key))
        os.unlink(outs[key])


def main():
    if len(sys.argv) != 3:
        C.die('usage: tf_to_slimc.py BUILD_DIR WORK_DIR')
    build, work = (os.path.abspath(a) for a in sys.argv[1:])
    try:
        import tensorflow as tf
    except ImportError as e:
        C.die('cannot import tensorflow (%s): run scripts/bootstrap --venv' % e)
    tf.compat.v1.disable_eager_execution()
    ck = C.Checks('tf_to_slimc')
    items = tensors()
    prefixes = {name: os.path.join(work, name, 'model.ckpt') for name in ('plain', 'sharded', 'snappy')}
    for p in prefixes.values():
        os.makedirs(os.path.dirname(p), exist_ok=True)

    write_with_tf(tf, items, prefixes['plain'], sharded=False)
    part = write_with_tf(tf, items, prefixes['sharded'], sharded=True)
    nshard = sorted(f for f in os.listdir(os.path.dirname(prefixes['sharded'])) if '.data-' in f)
    ck.ok(nshard == ['model.ckpt.data-%05d-of-00003' % i for i in range(3)],
          'sharded: TF wrote %s, expected 3 data shards' % nshard)
    p = prefixes['snappy']
    os.link(prefixes['plain'] + '.data-00000-of-00001', p + '.data-00000-of-00001')
    nblocks = snappy_index.recompress_index(prefixes['plain'] + '.index', p + '.index')
    idx = open(p + '.index', 'rb').read()
    ck.ok(nblocks >= 1 and len(idx) < os.path.getsize(prefixes['plain'] + '.index'),
          'snappy: the recompressed index is not smaller')

    sharded_items = items + [PART + (part,)]
    check_tf_reads(tf, ck, prefixes['plain'], items, 'plain')
    check_tf_reads(tf, ck, prefixes['sharded'], sharded_items, 'sharded')
    check_tf_reads(tf, ck, prefixes['snappy'], items, 'snappy')

    check_slim_ckpt(build, work, ck, prefixes['plain'], items, 'plain')
    check_slim_ckpt(build, work, ck, prefixes['sharded'], sharded_items, 'sharded')
    check_slim_ckpt(build, work, ck, prefixes['snappy'], items, 'snappy')
    # the directory form resolves TF's `checkpoint` state file
    rc, out, _ = C.run([os.path.join(build, 'slim-ckpt'), 'ls', os.path.dirname(prefixes['sharded'])])
    ck.ok(rc == 0 and out.decode().splitlines() == expected_ls(sharded_items), 'sharded: slim-ckpt ls DIR')

    slim = os.path.join(work, 'tf_written.slim')
    with open(slim, 'w') as f:
        f.write(model_source(items))
    exe = os.path.join(work, 'tf_written')
    rc, _, err = C.run([os.path.join(build, 'slimc'), slim, '-o', exe])
    if ck.ok(rc == 0, 'slimc %s: %s' % (slim, err.strip())):
        for name, prefix in prefixes.items():
            check_executable(exe, work, ck, prefix, items, name)
    print('dtypes: %s; %d tensors a checkpoint (+1 partitioned in sharded), largest %d bytes; '
          'executable: %d dtypes' % (' '.join(C.DTYPES), len(items), BIG[2][0] * BIG[2][1] * 4,
                                     len(C.LANGUAGE_DTYPES)))
    shutil.rmtree(work, ignore_errors=True)
    return ck.finish()


if __name__ == '__main__':
    sys.exit(main())

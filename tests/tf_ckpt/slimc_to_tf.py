"""slim-ckpt writes checkpoints, TensorFlow restores them: every key, every byte.

usage: slimc_to_tf.py BUILD_DIR WORK_DIR

For tests/tf_ckpt/slim_written.slim (a conv2d + batch_norm + fully_connected net,
global_step, and a variable of every dtype a .slim variable can have):
  init      `slim-ckpt init` (with bfloat16);
  from-npz  `slim-ckpt from-npz` of an .npz holding the model's variables (the
            -D bf16=False variant: .npz has no bfloat16), bit patterns with NaNs,
            infinities, subnormals and integer extremes;
  and       `slim-ckpt from-npz` of every .npy dtype (the unsigned 16/32/64-bit ones
            too, which no .slim variable has), into a graph of plain TF variables.
The graph is TF's own, built from the .slim file by the oracle shim (tests/oracle).
Checks: the checkpoint's keys are exactly the Saver's (none missing, none extra),
with TF's dtypes and shapes; Saver.restore succeeds; the restored variables and
tf.train.load_checkpoint's tensors have exactly the bytes slimc meant to write.
"""
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, 'tests', 'oracle'))
import common as C  # noqa: E402

import numpy as np  # noqa: E402

MODEL = os.path.join(HERE, 'slim_written.slim')
NPY_DTYPES = [d for d in C.DTYPES if d != 'bfloat16']
# slim_written.slim's constant initializers, checked against the literal values
CONSTANTS = {'dtypes/i8': [-7] * 3, 'dtypes/i16': [-300, 301], 'dtypes/i32': [[123456] * 2] * 2, 'dtypes/i64': -5,
             'dtypes/u8': [200] * 3, 'dtypes/flag': [True, True], 'dtypes/scalar': 0.25}


def slimc_read(build, ck, prefix, key, dtype, what):
    """The tensor as slim-ckpt reads it (bfloat16 as uint16 bits, from its exact text form)."""
    tool = os.path.join(build, 'slim-ckpt')
    if dtype == 'bfloat16':
        rc, out, err = C.run([tool, 'dump', prefix, key])
        if not ck.ok(rc == 0, '%s: slim-ckpt dump %s: %s' % (what, key, err.strip())):
            return None
        bits = np.array([float(x) for x in out.split()], np.float32).view(np.uint32)
        ck.ok(not (bits & 0xffff).any(), '%s: %s is not a bfloat16 value' % (what, key))
        return (bits >> 16).astype(np.uint16)
    npy = prefix + '.dump.npy'
    rc, _, err = C.run([tool, 'dump', prefix, key, '--npy=' + npy])
    if not ck.ok(rc == 0, '%s: slim-ckpt dump %s: %s' % (what, key, err.strip())):
        return None
    a = np.load(npy)
    os.unlink(npy)
    return a


def check_restore(tf, ck, graph, var_list, prefix, written, what):
    """VAR_LIST {key: variable} restored from PREFIX; WRITTEN {key: array slimc meant}."""
    tf1 = tf.compat.v1
    r = tf.train.load_checkpoint(prefix)
    shapes, dtypes = r.get_variable_to_shape_map(), r.get_variable_to_dtype_map()
    missing, extra = sorted(set(var_list) - set(shapes)), sorted(set(shapes) - set(var_list))
    ck.ok(not missing and not extra, '%s: keys missing %s, extra %s' % (what, missing, extra))
    for key, v in var_list.items():
        if key in shapes:
            ck.ok(dtypes[key] == v.dtype.base_dtype and shapes[key] == v.shape.as_list(),
                  '%s: %s is %s%s in the checkpoint, %s%s in TF\'s graph' % (
                      what, key, dtypes[key].name, shapes[key], v.dtype.base_dtype.name, v.shape.as_list()))
    with graph.as_default():
        saver = tf1.train.Saver(var_list=var_list)
        with tf1.Session(graph=graph) as s:
            try:
                saver.restore(s, prefix)
            except Exception as e:  # noqa: BLE001 - any TF error is the finding
                ck.ok(False, '%s: Saver.restore: %s' % (what, str(e).splitlines()[0]))
                return
            ck.ok(True, '%s: Saver.restore' % what)
            restored = s.run(dict(var_list))
    for key in var_list:
        want = C.raw_bytes(written[key]) if written.get(key) is not None else None
        if key not in shapes or want is None:
            ck.ok(False, '%s: nothing to compare for %s' % (what, key))
            continue
        ck.same_bytes(C.raw_bytes(r.get_tensor(key)), want, '%s: tf.train.load_checkpoint reads %s' % (what, key))
        ck.same_bytes(C.raw_bytes(restored[key]), want, '%s: Saver.restore gives %s' % (what, key))


def from_npz(build, ck, arrays, prefix, what):
    npz = prefix + '.npz'
    np.savez(npz, **arrays)
    rc, _, err = C.run([os.path.join(build, 'slim-ckpt'), 'from-npz', npz, '-o', prefix])
    return ck.ok(rc == 0, '%s: slim-ckpt from-npz: %s' % (what, err.strip()))


def main():
    if len(sys.argv) != 3:
        C.die('usage: slimc_to_tf.py BUILD_DIR WORK_DIR')
    build, work = (os.path.abspath(a) for a in sys.argv[1:])
    try:
        import shim
        tf = shim.load_tf()[0]
        b = shim.build(MODEL)
        b_nobf16 = shim.build(MODEL, defines=['bf16=False'])
    except ImportError as e:
        C.die('cannot import the oracle shim (tests/oracle): %s' % e)
    except (shim.ShimError, shim.SlimError) as e:
        C.die('%s: the shim cannot build it: %s' % (MODEL, e))
    tf = __import__('tensorflow')
    os.makedirs(work, exist_ok=True)
    ck = C.Checks('slimc_to_tf')
    seen = set()

    # 1. slim-ckpt init, into a directory it creates, with TF's `checkpoint` state file
    prefix = os.path.join(work, 'init', 'model.ckpt')
    rc, _, err = C.run([os.path.join(build, 'slim-ckpt'), 'init', MODEL, '-o', prefix, '--seed=5'])
    if ck.ok(rc == 0, 'init: slim-ckpt init: %s' % err.strip()):
        latest = tf.train.latest_checkpoint(os.path.dirname(prefix))
        ck.ok(latest == prefix, 'init: tf.train.latest_checkpoint gives %r, expected %r' % (latest, prefix))
        var_list = dict(b.restore)
        written = {}
        for key, v in var_list.items():
            written[key] = slimc_read(build, ck, prefix, key, v.dtype.base_dtype.name, 'init')
            seen.add(v.dtype.base_dtype.name)
        for key, want in CONSTANTS.items():
            got = written.get(key)
            ck.ok(got is not None and got.tolist() == want, 'init: %s is %s, its initializer says %s' % (
                key, None if got is None else got.tolist(), want))
        check_restore(tf, ck, b.graph, var_list, prefix, written, 'init')

    # 2. slim-ckpt from-npz, the model's own keys
    prefix = os.path.join(work, 'npz', 'model.ckpt')
    os.makedirs(os.path.dirname(prefix))
    var_list = dict(b_nobf16.restore)
    arrays = {key: C.make_value(v.dtype.base_dtype.name, v.shape.as_list(), i)
              for i, (key, v) in enumerate(sorted(var_list.items()))}
    if from_npz(build, ck, arrays, prefix, 'from-npz'):
        check_restore(tf, ck, b_nobf16.graph, var_list, prefix, arrays, 'from-npz')
    seen.update(v.dtype.base_dtype.name for v in var_list.values())

    # 3. slim-ckpt from-npz, every .npy dtype, into plain TF variables
    prefix = os.path.join(work, 'alltypes', 'model.ckpt')
    os.makedirs(os.path.dirname(prefix))
    arrays, seed = {}, 100
    for dt in NPY_DTYPES:
        for kind, shape in (('vec', [19]), ('mat', [3, 2]), ('scalar', []), ('empty', [0])):
            arrays['%s/%s' % (dt, kind)] = C.make_value(dt, shape, seed)
            seed += 1
    if from_npz(build, ck, arrays, prefix, 'from-npz all dtypes'):
        tf1 = tf.compat.v1
        g = tf.Graph()
        with g.as_default():
            var_list = {k: tf1.get_variable(k, a.shape, dtype=getattr(tf, k.split('/')[0]))
                        for k, a in arrays.items()}
        check_restore(tf, ck, g, var_list, prefix, arrays, 'from-npz all dtypes')
        seen.update(NPY_DTYPES)
    print('dtypes written by slim-ckpt and read by TF: %s' % ' '.join(d for d in C.DTYPES if d in seen))
    shutil.rmtree(work, ignore_errors=True)
    return ck.finish()


if __name__ == '__main__':
    sys.exit(main())

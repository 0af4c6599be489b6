"""TF's numbers for a built model: initialise and save a checkpoint with TF's Saver, restore
it and compute the outputs (oracle init / run, and the numeric half of diff)."""
import os

import numpy as np

import shim

# op types whose value changes from run to run, or that training mode puts on the path from
# the inputs to the outputs: slimc compiles inference graphs (docs/tf-semantics.md), so such
# outputs are not comparable number for number
RANDOM_OPS = {"RandomUniform", "RandomStandardNormal", "TruncatedNormal", "RandomUniformInt",
              "RandomShuffle", "Multinomial", "RandomGamma", "RandomPoisson", "RandomPoissonV2"}


def saver_map(b):
    """The restore map as a Saver var_list (checkpoint key -> variable)."""
    return {k: v for k, v in b.restore}


def session(b):
    v1 = b.v1
    cfg = v1.ConfigProto(intra_op_parallelism_threads=1, inter_op_parallelism_threads=1)
    return v1.Session(graph=b.graph, config=cfg)


def initialise(b, sess, seed):
    """Runs every variable's initializer with the graph's seed set to seed."""
    v1 = b.v1
    with b.graph.as_default():
        init = v1.group(v1.global_variables_initializer(), v1.local_variables_initializer(),
                        *[v.initializer for _, v in b.variables if isinstance(v, v1.Variable)])
    sess.run(init)


def write_checkpoint(b, sess, prefix):
    v1 = b.v1
    m = saver_map(b)
    if not m:
        return None
    d = os.path.dirname(os.path.abspath(prefix))
    os.makedirs(d, exist_ok=True)
    with b.graph.as_default():
        saver = v1.train.Saver(var_list=m, write_version=v1.train.SaverDef.V2)
    return saver.save(sess, prefix, write_meta_graph=False)


def restore_checkpoint(b, sess, prefix):
    v1 = b.v1
    m = saver_map(b)
    if not m:
        return
    with b.graph.as_default():
        saver = v1.train.Saver(var_list=m)
    saver.restore(sess, prefix)


def build_seeded(o, seed):
    """Builds with the graph-level seed set before any op exists (tf.set_random_seed)."""
    v1, _, _ = shim.load_tf()
    b = shim.Build(o.file, o.model, o.defines, o.includes, o.restore_ema)
    b.graph_seed = seed
    try:
        b._run(o.model, o.defines)
    except (shim.ShimError, shim.SlimError):
        raise
    except Exception as e:
        raise shim.error_from_exception(e, b.user_files) from None
    return b


def cmd_init(b, o):
    b = build_seeded(o, o.seed)
    with session(b) as sess:
        initialise(b, sess, o.seed)
        p = write_checkpoint(b, sess, o.out)
    if p is None:
        print("oracle: the model has no variables to save", file=__import__("sys").stderr)
        return 1
    return 0


def random_inputs(b, seed, batch=2):
    rng = np.random.default_rng(seed)
    out = {}
    for name, ph in b.inputs:
        dims = [batch if d is None else d for d in ph.shape.as_list()]
        dt = ph.dtype.base_dtype
        if dt.is_floating:
            x = rng.standard_normal(dims).astype(dt.as_numpy_dtype)
        elif dt.is_bool:
            x = rng.integers(0, 2, dims).astype(bool)
        elif dt.name == "uint8":
            x = rng.integers(0, 256, dims).astype(np.uint8)
        else:
            x = rng.integers(0, 8, dims).astype(dt.as_numpy_dtype)
        out[name] = x
    return out


def compute(b, sess, feeds):
    fd = {ph: feeds[name] for name, ph in b.inputs}
    vals = sess.run([t for _, t in b.outputs], feed_dict=fd)
    return {name: np.asarray(v) for (name, _), v in zip(b.outputs, vals)}


def pick(name, names, kind):
    """The input or output NAME (None: the only one) among NAMES, or a ShimError."""
    if name is None:
        if len(names) != 1:
            raise shim.ShimError("the model has %d %ss: use --%s=NAME=FILE" % (len(names), kind, kind))
        return names[0]
    if name not in names:
        raise shim.ShimError("the model has no %s '%s' (%ss: %s)" % (kind, name, kind, ", ".join(names)))
    return name


def cmd_run(b, o):
    import sys
    feeds = {}
    names = [n for n, _ in b.inputs]
    for name, f in o.inputs:
        feeds[pick(name, names, "input")] = np.load(f)
    missing = [n for n in names if n not in feeds]
    if missing:
        raise shim.ShimError("no --input for %s" % ", ".join(missing))
    with session(b) as sess:
        initialise(b, sess, 0)
        if o.checkpoint:
            restore_checkpoint(b, sess, o.checkpoint)
        elif b.restore:
            raise shim.ShimError("the model has variables: give --checkpoint=PREFIX (oracle init writes one)")
        outs = compute(b, sess, feeds)
    onames = [n for n, _ in b.outputs]
    for name, f in o.outputs:
        np.save(f, outs[pick(name, onames, "output")])
    if not o.outputs:
        for n in onames:
            print("%s\t%s\t%s" % (n, outs[n].dtype, list(outs[n].shape)))
            for x in outs[n].reshape(-1):
                print("%.9g" % x)
    return 0


def training_mode(b):
    """Why TF's graph has training-only parts slimc does not build (batch norm's moving-average
    updates in UPDATE_OPS), or None."""
    for op in b.graph.get_operations():
        if op.type.startswith("FusedBatchNorm") and op.get_attr("is_training"):
            return "batch norm in training mode (%s): slimc builds the inference form, without update ops" % op.name
    if b.graph.get_collection("update_ops") and any("BatchNorm" in getattr(x, "name", "") or "batch_norm" in getattr(x, "name", "")
                                                     for x in b.graph.get_collection("update_ops")):
        return "batch norm in training mode: slimc builds the inference form, without update ops"
    return None


def _depends_on_random(op):
    seen, stack = set(), [op]
    while stack:
        op = stack.pop()
        if op.name in seen:
            continue
        seen.add(op.name)
        if op.type in RANDOM_OPS:
            return True
        stack.extend(i.op for i in op.inputs)
    return False


def not_comparable(b):
    """Why the outputs cannot be compared number for number, or None."""
    restored = {v.op.name for _, v in b.restore}
    for name, v in b.variables:
        if name in restored or not isinstance(v, b.v1.Variable) or name not in live_ops(b):
            continue
        if _depends_on_random(v.initializer):
            return ("the outputs read %s, which no checkpoint key restores and whose initializer is random "
                    "(slimc's generator is not TF's Philox)" % name)
    seen, stack = set(), [t.op for _, t in b.outputs]
    while stack:
        op = stack.pop()
        if op.name in seen:
            continue
        seen.add(op.name)
        if op.type in RANDOM_OPS:
            return "the outputs depend on a random op (%s, %s) that slimc compiles as inference" % (op.name, op.type)
        if op.type.startswith("FusedBatchNorm") and op.get_attr("is_training"):
            return "batch norm in training mode (%s): slimc compiles the inference form" % op.name
        stack.extend(i.op for i in op.inputs)
    return None


def too_large(b, limit=1 << 26):
    """Why the model is too large for a numeric comparison in the test suite (over 2^26
    elements, 256 MiB of float32, in its variables and inputs: vgg_16's 138 M take TF and
    slimc 90 s), or None. limit: oracle's --max-elements."""
    n = 0
    for t in [v for _, v in b.variables] + [p for _, p in b.inputs]:
        shape = t.shape if hasattr(t, "shape") else t.outputs[0].shape
        dims = [2 if d is None else d for d in (shape.as_list() if shape.rank is not None else [])]
        k = 1
        for d in dims:
            k *= d
        n += k
    if n > limit:
        return "%d elements in the variables and inputs, more than the numeric comparison's %d" % (n, limit)
    return None


def live_ops(b):
    """Names of the ops the outputs depend on."""
    if getattr(b, "_live", None) is None:
        seen, stack = set(), [t.op for _, t in b.outputs]
        while stack:
            op = stack.pop()
            if op.name in seen:
                continue
            seen.add(op.name)
            stack.extend(i.op for i in op.inputs)
        b._live = seen
    return b._live


def close(want, got):
    """None if got agrees with want (1e-4 relative to want's largest magnitude), else why."""
    if want.shape != got.shape:
        return "shape %s, TF %s" % (list(got.shape), list(want.shape))
    if want.dtype != got.dtype:
        return "dtype %s, TF %s" % (got.dtype, want.dtype)
    if want.size == 0:
        return None
    if want.dtype.kind in "fc":
        w = want.astype(np.float64)
        g = got.astype(np.float64)
        if np.isnan(w).any() or np.isnan(g).any():
            if not np.array_equal(np.isnan(w), np.isnan(g)):
                return "NaN in different places"
            w, g = np.nan_to_num(w), np.nan_to_num(g)
        scale = max(np.abs(w).max(), 1e-30)
        err = np.abs(w - g).max()
        if err > 1e-4 * scale and err > 1e-6:
            i = int(np.abs(w - g).argmax())
            return "max difference %.3g (%.3g of the largest magnitude %.3g; element %d: %.9g, TF %.9g)" % (
                err, err / scale, scale, i, g.reshape(-1)[i], w.reshape(-1)[i])
        return None
    if not np.array_equal(want, got):
        i = int(np.argmax(want.reshape(-1) != got.reshape(-1)))
        return "element %d: %s, TF %s" % (i, got.reshape(-1)[i], want.reshape(-1)[i])
    return None

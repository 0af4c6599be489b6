"""`scripts/oracle fuzz --seed=S --count=N [--out=DIR] [--outputs-every=K] [--slimc=PATH]`

Generates N random programs (gen.py, seeds S .. S+N-1), runs each on both sides in this
one Python process (differ.diff_file: names, collections, restore map, signature, errors,
and every K-th program's outputs from a TF-written random checkpoint, K=1 by default) and
prints the counts. Each disagreeing program is written to DIR (default
fuzz-disagreements/) as seed_S.slim with the disagreement lines in seed_S.txt.
Exit status 0 if every program agrees, 1 otherwise.
"""
import os
import re
import signal
import sys
import tempfile
import time

import differ
import gen
import numeric
import shim


# Where TF 2.15's text differs from TF 1.15's, which slimc follows (docs/oracle-fuzz.md
# has the sources): TF's error text is rewritten to 1.15's before it is compared.
KNOWN_TEXT = [
    # Keras' Conv layer checks this itself in 2.15; 1.15's message came from nn_ops.convolution
    (re.compile(r"^`strides > 1` not supported in conjunction with `dilation_rate > 1`\. Received: .*$"),
     "strides > 1 not supported in conjunction with dilation_rate > 1"),
]


def tf_text_as_1_15(text):
    for rx, repl in KNOWN_TEXT:
        if rx.match(text):
            return repl
    return text


def fast_diff(path, slimc, seed, outputs):
    """differ.diff_file's comparison for a generated program (always one model, no
    options) with two slimc processes instead of one per listing and collection:
    `--print-variables --print-restore-map` (4-field, then 2-field lines) and
    `--print-collection=* --print-signature` (2-field, then 4-field lines).
    Returns (status, lines)."""
    differ.start_alarm(30)
    try:
        r = _fast_diff(path, slimc, seed, outputs)
        return ("na", ["TF/CPython did not finish within 30 s"]) if differ.ALARM_FIRED[0] else r
    except differ.OracleTimeout:
        return "na", ["TF/CPython did not finish within 30 s"]
    finally:
        signal.alarm(0)


def _fast_diff(path, slimc, seed, outputs):
    cwd, base = os.path.dirname(path), os.path.basename(path)
    tf_err, b = None, None
    try:
        b = numeric.build_seeded(_Opts(path), seed)
        signal.alarm(0)
    except shim.SlimError as e:
        tf_err = (os.path.basename(e.file), e.line, e.col, tf_text_as_1_15(e.text))
    except shim.ShimError as e:
        return "na", ["the shim cannot run this file: %s" % e]
    except RecursionError:
        return "na", ["CPython's recursion limit"]
    rc, out, err = differ.run([slimc, "--print-variables", "--print-restore-map", base], cwd, 120)
    if rc not in (0, 1):
        return "disagree", ["slimc exited %d: %s" % (rc, err.strip()[-300:])]
    if tf_err or rc != 0:
        s_err = differ.first_error(err) if rc != 0 else None
        if not tf_err:
            return "disagree", ["slimc rejects it (%s); TF/CPython accepts" %
                                (differ.fmt_err(s_err) if s_err else err.strip()[:200])]
        if rc == 0:
            return "disagree", ["TF/CPython raises %s; slimc accepts" % differ.fmt_err(tf_err)]
        if not s_err:
            return "disagree", ["slimc's error has no 'error:' line: %s" % err.strip()[:200]]
        lines = []
        if s_err[1] != tf_err[1]:
            lines.append("error location: slimc %s:%d, TF %s:%d" % (s_err[0], s_err[1], tf_err[0], tf_err[1]))
        norm_tf = getattr(differ, "normalise_tf", lambda x: x)
        norm_slimc = getattr(differ, "normalise_slimc", lambda x: x)
        if s_err[3] != tf_err[3] and norm_slimc(s_err[3]) != norm_tf(tf_err[3]):
            lines.append("error text: slimc '%s', TF '%s'" % (s_err[3], tf_err[3]))
        return ("disagree" if lines else "agree"), lines
    split = [l.split("\t") for l in out.splitlines()]
    lines = differ.compare_listing("variables", ["\t".join(f) for f in split if len(f) == 4],
                                   shim.variables_lines(b))
    lines += differ.compare_listing("restore map", ["\t".join(f) for f in split if len(f) == 2],
                                    shim.restore_map_lines(b))
    rc, out, err = differ.run([slimc, "--print-collection=*", "--print-signature", base], cwd, 120)
    if rc != 0:
        return "disagree", lines + ["collections: slimc exited %d: %s" % (rc, err.strip()[:200])]
    split = [l.split("\t", 1) if not l.startswith(("input\t", "output\t")) else [l] for l in out.splitlines()]
    lines += differ.compare_listing("signature", [f[0] for f in split if len(f) == 1], shim.signature_lines(b))
    cols = {}
    for f in split:
        if len(f) == 2:
            cols.setdefault(f[0], []).append(f[1])
    # every collection, update_ops of training-mode batch norm included (slimc builds them)
    for k in dict.fromkeys(list(differ.STD_KEYS) + shim.collection_keys(b) + list(cols)):
        if k not in differ.TF_INTERNAL_KEYS:
            lines += differ.compare_listing("collection " + k, cols.get(k, []), shim.collection_lines(b, k))
    notes = []
    if outputs:
        why = numeric.not_comparable(b)
        if why and why.startswith("batch norm in training mode"):
            why = None  # slimc computes training-mode batch norm (batch statistics) too
        if why:
            notes.append("outputs not compared: " + why)
        else:
            lines += differ.compare_outputs(b, slimc, [], cwd, base, seed)
    return ("disagree" if lines else "agree"), lines + notes


class _Opts:
    def __init__(self, path):
        self.file = path
        self.model = None
        self.defines, self.includes = [], []
        self.restore_ema = False


def run_batch(seed, count, slimc, out_dir=None, outputs_every=1, quiet=False):
    """Runs COUNT programs from SEED; returns (agree, disagree, na, seconds)."""
    shim.load_tf()
    t_last = time.time()
    agree = disagree = na = 0
    t0 = time.time()
    if out_dir and os.path.isdir(out_dir):  # only this run's programs in it
        for f in os.listdir(out_dir):
            if f.startswith("seed_") and f.endswith((".slim", ".txt")):
                os.remove(os.path.join(out_dir, f))
    with tempfile.TemporaryDirectory(prefix="oracle-fuzz-") as tmp:
        for i in range(count):
            s = seed + i
            text = gen.generate(s)
            path = os.path.join(tmp, "seed_%d.slim" % s)
            with open(path, "w") as f:
                f.write(text)
            outputs = outputs_every > 0 and i % outputs_every == 0
            try:
                status, lines = fast_diff(path, slimc, s % 1000 + 1, outputs)
            except Exception as e:  # the harness itself failed: count it, keep going
                status, lines = "disagree", ["oracle fuzz: %s: %s" % (type(e).__name__, str(e).split("\n")[0])]
            if status == "agree":
                agree += 1
            elif status == "na":
                na += 1
            else:
                disagree += 1
            if status != "agree":
                if not quiet:
                    print("seed %d: %s" % (s, status))
                    for l in lines[:8]:
                        print("  " + l)
                if out_dir:
                    os.makedirs(out_dir, exist_ok=True)
                    with open(os.path.join(out_dir, "seed_%d.slim" % s), "w") as f:
                        f.write(text)
                    with open(os.path.join(out_dir, "seed_%d.txt" % s), "w") as f:
                        f.write("%s\n%s\n" % (status, "\n".join(lines)))
            if not quiet and time.time() - t_last > 60:  # a progress line a minute
                t_last = time.time()
                print("fuzz: %d of %d programs, %d disagreeing (%.0f s)" % (i + 1, count, disagree + na, t_last - t0))
            sys.stdout.flush()
    return agree, disagree, na, time.time() - t0


def cmd_fuzz(argv):
    seed, count, out_dir, every, slimc = 1, 100, "fuzz-disagreements", 1, None
    for a in argv:
        if a.startswith("--seed="):
            seed = int(a[7:])
        elif a.startswith("--count="):
            count = int(a[8:])
        elif a.startswith("--out="):
            out_dir = a[6:]
        elif a.startswith("--outputs-every="):
            every = int(a[16:])
        elif a.startswith("--slimc="):
            slimc = a[8:]
        else:
            print("oracle fuzz: unknown option '%s'\n%s" % (a, __doc__.split("\n\n")[0]), file=sys.stderr)
            return 2
    o = differ.Opts()
    o.slimc = slimc
    slimc = differ.slimc_path(o)
    agree, disagree, na, secs = run_batch(seed, count, slimc, out_dir, every)
    print("fuzz: seed %d: %d programs, %d agreeing, %d disagreeing, %d not runnable by the shim "
          "(%.1f s, %.3f s/program)" % (seed, count, agree, disagree, na, secs, secs / max(count, 1)))
    if disagree or na:
        print("fuzz: disagreeing programs written to %s/" % out_dir)
    return 1 if disagree or na else 0

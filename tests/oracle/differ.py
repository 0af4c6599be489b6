"""oracle diff / suite: slimc against TensorFlow on the same .slim file.

diff compares, for a file with a model: whether both build it; the first error's line and
text when both reject it; --print-variables, --print-restore-map, --print-signature and
--print-collection=KEY for every collection TF has; and the outputs of slimc's executable
against TF's session on random inputs, from one checkpoint that TF's Saver wrote with TF's
initializers. A file without a model (a library, a Python-only case) is evaluated by
CPython (with TF available) and compared with `slimc -fsyntax-only`: error or not, the
error's line and text. A syntax error is compared on its line only (bison's messages are
not CPython's)."""
import contextlib
import difflib
import io
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np

import numeric
import shim

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ERR_RE = re.compile(r"^(?:(.*?):(\d+)(?::(\d+))?: )?error: (.*?)(?: \[E(\d+)\])?$")
STD_KEYS = ("variables", "trainable_variables", "model_variables", "local_variables",
            "moving_average_variables", "regularization_losses", "update_ops", "global_step")

# TF's own bookkeeping (control-flow contexts that tf.cond / while_loop record, e.g. inside
# ExponentialMovingAverage.apply); no .slim program reads them
TF_INTERNAL_KEYS = ("cond_context", "while_context")


def slimc_path(o):
    p = o.slimc or os.environ.get("SLIMC") or os.path.join(ROOT, "build", "slimc")
    if not (os.path.isfile(p) and os.access(p, os.X_OK)):
        raise shim.ShimError("no slimc at %s: build it (cmake --build build) or give --slimc=PATH" % p)
    return os.path.abspath(p)


def run(cmd, cwd, timeout):
    try:
        r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                           errors="replace")
        return r.returncode, r.stdout, r.stderr
    except subprocess.TimeoutExpired:
        return -1, "", "timed out after %d s" % timeout


def first_error(stderr):
    for line in stderr.splitlines():
        m = ERR_RE.match(line)
        if m:
            f, l, c, t, code = m.groups()
            return (os.path.basename(f) if f else "", int(l) if l else 0, int(c) if c else 0, t,
                    int(code) if code else None)
    return None


def fmt_err(e):
    f, l, c, t = e[:4]
    return "%s:%d:%d: %s" % (f, l, c, t) if f else t


class Opts:
    pass


def slimc_flags(o):
    fl = []
    if o.model:
        fl += ["-m", o.model]
    for d in o.defines:
        fl += ["-D", d]
    for d in o.includes:
        fl += ["-I", os.path.abspath(d)]
    if o.restore_ema:
        fl.append("--restore-ema")
    return fl


def has_model(path):
    try:
        text = open(path, encoding="utf-8", errors="replace").read()
    except OSError:
        return False
    return re.search(r"(?m)^model\s+[A-Za-z_]\w*\s*\(", text) is not None


def compare_listing(what, slimc_lines, tf_lines):
    if slimc_lines == tf_lines:
        return []
    out = []
    for line in difflib.unified_diff(tf_lines, slimc_lines, lineterm="", n=0):
        if line.startswith(("---", "+++", "@@")):
            continue
        out.append("%s: %s %s" % (what, "slimc only:" if line[0] == "+" else "TF only:   ", line[1:]))
    if not out:
        out.append("%s: same lines in another order" % what)
    return out[:12] + (["%s: ... %d more" % (what, len(out) - 12)] if len(out) > 12 else [])


class OracleTimeout(BaseException):
    pass


# Set when the alarm fires: the OracleTimeout raised inside a `with` block may be replaced
# by the error the block's exit raises (TF's "Improper nesting of variable_scope" when the
# alarm interrupts tf.variable_scope), so a run that saw the alarm is a timeout whatever
# it ended with.
ALARM_FIRED = [False]


def _alarm(signum, frame):
    ALARM_FIRED[0] = True
    raise OracleTimeout()


def start_alarm(limit):
    ALARM_FIRED[0] = False
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(limit)


def normalise_tf(text):
    """TF 2.15 prints the NodeDef in shape-inference errors (" for '{{node add}} = AddV2[...]
    (x, y)' with input shapes: ..."), TF 1.15 printed " for 'add' (op: 'Add') with input
    shapes: ..."; CPython adds the module's path to "cannot import name". Compared without."""
    text = re.sub(r" for '\{\{node .*$", "", text)
    text = re.sub(r" \((?:/[^)]*)\)$", "", text)
    return text.rstrip()


def normalise_slimc(text):
    """slimc's shape errors name the op first ("fc: ...") and end as TF 1.15's did."""
    text = re.sub(r" for '[^']*'(?: \(op: '[^']*'\))? with input shapes?:?.*$", "", text)
    text = re.sub(r"^[A-Za-z0-9_./-]+: (?=[A-Z])", "", text)
    return text.rstrip()


def diff_file(o, slimc, seed=1, outputs=True, limit=120):
    """With a time limit on TF's side (a program can take CPython forever where slimc's
    evaluation limits stop it)."""
    timeout = ("na", ["TF/CPython did not finish within %d s (slimc's evaluation limits stop such a program)" % limit])
    start_alarm(limit)
    try:
        r = _diff_file(o, slimc, seed, outputs, limit)
        return timeout if ALARM_FIRED[0] else r
    except OracleTimeout:
        return timeout
    finally:
        signal.alarm(0)


def _build_side(o, model, seed, limit):
    """TF's build (or CPython's evaluation of a file without a model); the program's prints
    are captured (into o.printed). Returns b (None without a model); raises SlimError / ShimError."""
    o.printed = io.StringIO()
    with contextlib.redirect_stdout(o.printed), contextlib.redirect_stderr(io.StringIO()):
        if model:
            return numeric.build_seeded(o, seed)
        bb = shim.Build(o.file, None, o.defines, o.includes)
        try:
            top = bb.v1.Graph()
            with top.as_default():
                bb._exec_file(o.file, "__main__", "", is_main=True)
        except shim.SlimError:
            raise
        except MemoryError:
            raise shim.SlimError(o.file, 0, 0, "MemoryError")
        except Exception as e:
            raise shim.error_from_exception(e, bb.user_files) from None
        return None


def _diff_file(o, slimc, seed, outputs, limit):
    """Returns (status, lines): status 'agree', 'disagree' or 'na' (with the reason)."""
    path = o.file
    cwd = os.path.dirname(os.path.abspath(path)) or "."
    base = os.path.basename(path)
    flags = slimc_flags(o)
    model = has_model(path)
    t0 = time.time()
    tf_err = None
    tf_kind = None
    b = None
    try:
        b = _build_side(o, model, seed, limit)
        signal.alarm(0)  # slimc's side has its own time limits
    except shim.SlimError as e:
        tf_err = (os.path.basename(e.file), e.line, e.col, e.text)
        tf_kind = e.kind
    except shim.ShimError as e:
        return "na", ["the shim cannot run this file: %s" % e]
    except RecursionError:
        return "na", ["CPython's recursion limit"]
    syntax = tf_kind == "syntax"
    first = ["--print-variables"] if model else ["-fsyntax-only"]
    rc, out, err = run([slimc] + flags + first + [base], cwd, 120)
    s_err = first_error(err) if rc != 0 else None
    if rc not in (0, 1):
        if rc == 2 and tf_err is None:
            return "disagree", ["slimc exited 2: %s" % err.strip()[:300]]
        if rc != 2:
            return "disagree", ["slimc exited %d: %s" % (rc, err.strip()[-300:])]
    lines = []
    if rc == 1 and tf_kind != "syntax" and s_err and s_err[4] is not None and s_err[4] < 300:
        return "na", ["slimc's syntax is narrower than CPython's here (E%04d, %s); CPython accepts it"
                      % (s_err[4], fmt_err(s_err))]
    if tf_err or rc != 0:
        if not tf_err:
            lines.append("slimc rejects it (%s); TF/CPython accepts" % (fmt_err(s_err) if s_err else err.strip()[:200]))
        elif rc == 0:
            lines.append("TF/CPython raises %s; slimc accepts" % fmt_err(tf_err))
        elif tf_kind == "slimc":
            return "na", ["both reject it; an error of slimc's own language (model header, inputs, outputs, "
                          "load), not TF's: slimc '%s', shim '%s'" % (fmt_err(s_err) if s_err else "?", fmt_err(tf_err))]
        elif not s_err:
            lines.append("slimc's error has no 'error:' line: %s" % err.strip()[:200])
        else:
            if (tf_err[1] and s_err[1] != tf_err[1]) or (s_err[0] and tf_err[0] and s_err[0] != tf_err[0]):
                lines.append("error location: slimc %s:%d, TF %s:%d" % (s_err[0], s_err[1], tf_err[0], tf_err[1]))
            if not syntax and normalise_slimc(s_err[3]) != normalise_tf(tf_err[3]):
                lines.append("error text: slimc '%s', TF '%s'" % (s_err[3], tf_err[3]))
        return ("disagree" if lines else "agree"), lines
    if not model:
        if getattr(o, "prints", False):
            # slimc prints "FILE:LINE:COL: text" lines on stderr; compared without the location
            mine = [re.sub(r"^[^ :]+:\d+:\d+: ", "", l) for l in err.splitlines()
                    if re.match(r"^[^ :]+:\d+:\d+: ", l) and not re.match(r"^[^ :]+:\d+:\d+: (note|warning): ", l)]
            lines += compare_listing("printed", mine, o.printed.getvalue().splitlines())
        return ("disagree" if lines else "agree"), lines
    lines += compare_listing("variables", out.splitlines(), shim.variables_lines(b))
    training = numeric.training_mode(b)
    notes = []
    for what, flag, fn in (("restore map", "--print-restore-map", shim.restore_map_lines),
                           ("signature", "--print-signature", shim.signature_lines)):
        if training and what == "restore map" and b.restore_override is None:
            # TF's outputs read the batch statistics, not the moving ones
            notes.append("restore map not compared: %s" % training)
            continue
        rc, sout, serr = run([slimc] + flags + [flag, base], cwd, 120)
        if rc != 0:
            lines.append("%s: slimc exited %d: %s" % (what, rc, serr.strip()[:200]))
        else:
            lines += compare_listing(what, sout.splitlines(), fn(b))
    keys = [k for k in dict.fromkeys(list(STD_KEYS) + shim.collection_keys(b)) if k not in TF_INTERNAL_KEYS]
    for k in keys:
        rc, sout, serr = run([slimc] + flags + ["--print-collection=" + k, base], cwd, 120)
        if rc != 0:
            lines.append("collection %s: slimc exited %d: %s" % (k, rc, serr.strip()[:200]))
        else:
            lines += compare_listing("collection " + k, sout.splitlines(), shim.collection_lines(b, k))
    if outputs:
        why = numeric.not_comparable(b) or numeric.too_large(b, getattr(o, "max_elements", 1 << 26))
        if why:
            notes.append("outputs not compared: " + why)
        else:
            got = compare_outputs(b, slimc, flags, cwd, base, seed)
            notes += [l for l in got if l.startswith("outputs not compared")]
            lines += [l for l in got if not l.startswith("outputs not compared")]
    return ("disagree" if lines else "agree"), lines + notes


def compare_outputs(b, slimc, flags, cwd, base, seed):
    tmp = tempfile.mkdtemp(prefix="oracle-")
    try:
        try:
            feeds = numeric.random_inputs(b, seed)
            with numeric.session(b) as sess:
                numeric.initialise(b, sess, seed)
                prefix = numeric.write_checkpoint(b, sess, os.path.join(tmp, "ckpt", "model.ckpt"))
                want = numeric.compute(b, sess, feeds)
        except (MemoryError, b.v1.errors.ResourceExhaustedError) as e:
            return ["outputs not compared: TF cannot allocate them (%s)" % type(e).__name__]
        except b.v1.errors.OpError as e:
            # e.g. integer division by zero: TF stops the run where slimc computes a number
            said = [l.strip() for l in (e.message or str(e)).splitlines()
                    if l.strip() and not l.strip().startswith(("Graph execution error", "Detected at", "File ", "<", "Node: "))
                    and "]]" not in l]
            msg = (said[0] if said else type(e).__name__)[:300]
            return ["outputs: TF's run of the graph fails (%s: %s)" % (type(e).__name__, msg)]
        exe = os.path.join(tmp, "exe")
        rc, _, err = run([slimc] + flags + [base, "-o", exe], cwd, 600)
        if rc != 0:
            return ["outputs: slimc could not compile it (exit %d): %s" % (rc, err.strip()[:300])]
        args = [exe]
        args.append("--checkpoint=" + prefix if prefix else "--random-init=%d" % seed)
        for name, x in feeds.items():
            f = os.path.join(tmp, "in_%s.npy" % name)
            np.save(f, x)
            args.append("--input=%s=%s" % (name, f))
        for name in want:
            args.append("--output=%s=%s" % (name, os.path.join(tmp, "out_%s.npy" % name)))
        rc, _, err = run(args, cwd, 300)
        if rc != 0:
            return ["outputs: the executable failed (exit %d): %s" % (rc, err.strip()[:300])]
        lines = []
        for name, w in want.items():
            g = np.load(os.path.join(tmp, "out_%s.npy" % name))
            why = numeric.close(w, g)
            if why:
                lines.append("output %s: %s" % (name, why))
        return lines
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def cmd_diff(o):
    slimc = slimc_path(o)
    shim.load_tf()
    status, lines = diff_file(o, slimc, seed=o.seed or 1, outputs=not o.no_outputs)
    for l in lines:
        print("%s: %s" % (o.file, l))
    if status == "na":
        return 2
    return 1 if status == "disagree" else 0


# ---------------------------------------------------------------- suite

def case_opts(path, suite_opts=None):
    """The slimc options a case runs with (NAME.args, else DIR/default.args)."""
    o = Opts()
    o.max_elements = getattr(suite_opts, "max_elements", 1 << 26)
    o.file, o.model, o.defines, o.includes, o.restore_ema = path, None, [], [], False
    o.skip = None
    name = path[:-5]
    args = None
    for f in (name + ".args", os.path.join(os.path.dirname(path), "default.args")):
        if os.path.isfile(f):
            args = open(f).read().split()
            break
    i = 0
    while args and i < len(args):
        a = args[i]
        if a in ("-m", "-D", "-I"):
            i += 1
            v = args[i]
        else:
            v = a[2:]
        if a.startswith("-m") and not a.startswith("-mcpu"):
            o.model = v
        elif a.startswith("-D"):
            o.defines.append(v)
        elif a.startswith("-I"):
            o.includes.append(os.path.join(os.path.dirname(path), v))
        elif a == "--restore-ema":
            o.restore_ema = True
        elif a.startswith("-fmax-eval"):
            o.skip = "an evaluation limit of slimc (%s); CPython has none" % a
        i += 1
    return o


def collect(paths):
    files = []
    for p in paths:
        if os.path.isdir(p):
            for d, subs, fs in os.walk(p):
                subs.sort()
                files += [os.path.join(d, f) for f in sorted(fs) if f.endswith(".slim")]
        else:
            files.append(p)
    return files


def load_known(path):
    known = {}
    if path:
        for line in open(path):
            line = line.rstrip("\n")
            if line and not line.startswith("#"):
                k, _, why = line.partition("\t")
                known[k] = why
    return known


def rel(path):
    return os.path.relpath(os.path.abspath(path), ROOT)


def cmd_suite(o):
    slimc = slimc_path(o)
    shim.load_tf()
    # a program that allocates without bound gets a MemoryError instead of the machine's RAM
    resource.setrlimit(resource.RLIMIT_AS, (8 << 30, resource.RLIM_INFINITY))
    known = load_known(o.known)
    files = collect(o.paths)
    counts = {"agree": 0, "disagree": 0, "known": 0, "na": 0}
    by_kind = {}
    failures = 0
    t0 = time.time()
    seen_known = set()
    for f in files:
        co = case_opts(f, o)
        co.prints = getattr(o, "prints", False)
        r = rel(f)
        kind = "model" if has_model(f) else "python"
        t1 = time.time()
        if co.skip:
            status, lines = "na", [co.skip]
        else:
            try:
                status, lines = diff_file(co, slimc, seed=1, outputs=not o.no_outputs, limit=o.time_limit)
            except Exception as e:  # a bug of the oracle itself: say so, keep going
                status, lines = "disagree", ["oracle error %s: %s" % (type(e).__name__, str(e).split(chr(10))[0])]
        if status == "agree" and any(l.startswith("outputs not compared") for l in lines):
            kind += " (names only)"
        dt = time.time() - t1
        if r in known:
            seen_known.add(r)
            if status == "disagree":
                status = "known"
                if o.verbose:
                    print("KNOWN %s: %s" % (r, known[r]))
            else:
                print("STALE %s: listed in %s but %s" % (r, o.known, status))
                failures += 1
        counts[status] += 1
        by_kind.setdefault(kind, {}).setdefault(status, 0)
        by_kind[kind][status] += 1
        if status == "disagree":
            failures += 1
        # Disagreements always print, first; the known ones and the not comparable ones
        # only with --verbose, so that a failing run's output starts with its failures.
        if status == "disagree" or o.verbose:
            tag = {"disagree": "DIFF", "known": "  ", "na": "N/A", "agree": "OK"}[status]
            for l in lines or [""]:
                print("%s %s: %s" % (tag, r, l))
        if o.verbose:
            print("   %s %.2f s" % (r, dt))
        sys.stdout.flush()
    compared = counts["agree"] + counts["disagree"] + counts["known"]
    print("oracle: %d files, %d compared: %d agree, %d disagree (%d of them known, listed in %s), "
          "%d not comparable; %.1f s" % (len(files), compared, counts["agree"], counts["disagree"] + counts["known"],
                                         counts["known"], o.known and rel(o.known), counts["na"], time.time() - t0))
    for k in sorted(by_kind):
        print("oracle:   %-22s %s" % (k, ", ".join("%s %d" % kv for kv in sorted(by_kind[k].items()))))
    return 1 if failures else 0

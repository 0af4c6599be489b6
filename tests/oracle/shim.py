"""The TF side of a .slim program: runs the file with CPython against the real
tensorflow.compat.v1 (graph mode, TF 1.x behaviour) and tf_slim.

Only what is not Python is translated, line by line so that every line and column stays
where it was:
  * a top-level `model NAME(x: f32[1, 3], opt=1):` header becomes `def   NAME(x, opt=1):`
    (`model` -> `def  `, `?` in a dimension -> `_`, the annotations are read from the
    syntax tree and dropped from it); its tensor parameters become tf.placeholder ops,
    its other parameters compile-time options (`-D NAME=VALUE`);
  * a top-level `load("f.slim", "a", b="c")` statement calls the shim's loader;
  * `restore(mapping)` records the model's restore map (the var_list of a tf Saver);
  * `import tensorflow` gives tf.compat.v1 (with `contrib.slim/layers/framework` naming
    tf_slim), `.slim`/`.py` modules are found beside the file and in -I directories;
  * the prefix-free names a .slim file has without importing (tf_slim's, then
    tf.compat.v1's, never shadowing a Python builtin, and `nn`).
Everything else (scopes, variables, layers, errors, numbers) is TensorFlow's own.

API (for the other oracle tools):
  load_tf()                          -> (tf, slim), or raises ShimError
  build(path, model=None, defines=(), includes=(), restore_ema=False) -> Build
  Build: .graph .model .inputs [(name, placeholder)] .outputs [(name, tensor)]
         .restore [(key, variable)] sorted by key, .variables [(name, var or op)]
  variables_lines / collection_lines / restore_map_lines / signature_lines (slimc's formats)
  SlimError: the program's own error (file, line, col, text), printed as slimc prints it
  ShimError: the shim cannot run this (exit 2), one line
"""
import ast
import builtins
import io
import os
import re
import sys
import traceback
import types

_TF = None


class ShimError(Exception):
    """The shim cannot express or run this; one line, exit status 2."""


class SlimError(Exception):
    """An error the program raises while its graph is built, located in a source file.
    kind: 'python' (raised by CPython, TF or tf_slim), 'syntax' (the file does not parse),
    'slimc' (a rule of the slimc language the shim stands in for: the model header, its
    inputs and outputs, load(); the same rule in slimc, so not a comparison with TF)."""

    def __init__(self, file, line, col, text, notes=(), kind="python"):
        super().__init__(text)
        self.file, self.line, self.col, self.text, self.notes = file, line, col, text, list(notes)
        self.kind = kind


    def format(self):
        loc = self.file
        if self.line:
            loc += ":%d" % self.line
            if self.col:
                loc += ":%d" % self.col
        out = ["%s: error: %s" % (loc, self.text) if loc else "error: %s" % self.text]
        for f, l, c, t in self.notes:
            out.append("%s:%d:%d: note: %s" % (f, l, c or 1, t))
        return "\n".join(out)


class LangError(Exception):
    """Raised at run time by the shim's stand-ins for slimc's language (load)."""


def load_tf():
    """Imports tensorflow and tf_slim once, in TF 1.x graph mode."""
    global _TF
    if _TF is not None:
        return _TF
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
    hint = "install the tests' venv with scripts/bootstrap --venv (scripts/requirements.txt)"
    try:
        import numpy  # noqa: F401
    except Exception as e:
        raise ShimError("cannot import numpy (%s): %s" % (e, hint))
    stderr = sys.stderr
    try:
        sys.stderr = io.StringIO()  # TF's import-time chatter
        import tensorflow.compat.v1 as v1
        import tensorflow
    except Exception as e:
        raise ShimError("cannot import tensorflow (%s: %s): %s" % (type(e).__name__, e, hint))
    finally:
        sys.stderr = stderr
    try:
        import tf_slim
    except Exception as e:
        raise ShimError("cannot import tf_slim (%s: %s): %s" % (type(e).__name__, e, hint))
    v1.disable_v2_behavior()
    # TF 2.15's tf.compat.v1.layers.BatchNormalization (tf_slim's batch_norm) lazily imports
    # 'tf_keras.legacy_tf_layers.normalization', a path no wheel ships (keras-team/keras
    # #18839); the same legacy module is in the Keras 2.15 that TF 2.15 installs. Plumbing
    # only: TF's own class under the name TF looks for.
    if "tf_keras" not in sys.modules:
        try:
            import importlib
            legacy = importlib.import_module("keras.src.legacy_tf_layers")
            norm = importlib.import_module("keras.src.legacy_tf_layers.normalization")
            pkg = types.ModuleType("tf_keras")
            pkg.__path__ = []
            pkg.legacy_tf_layers = legacy
            sys.modules.setdefault("tf_keras", pkg)
            sys.modules.setdefault("tf_keras.legacy_tf_layers", legacy)
            sys.modules.setdefault("tf_keras.legacy_tf_layers.normalization", norm)
        except Exception as e:
            raise ShimError("cannot import keras.src.legacy_tf_layers (%s): %s" % (e, hint))
    # tf_slim 1.1.0 still calls two names TF 2.15 moved: variable_scope.variable (TF <= 2.14:
    # a function returning VariableV1, i.e. tf.compat.v1.Variable) and ops.Tensor (now
    # tensor.Tensor). Both are restored as aliases of TF's own objects.
    from tensorflow.python.framework import ops as _ops, tensor as _tensor
    from tensorflow.python.ops import variable_scope as _vs, variable_v1 as _vv1
    if not hasattr(_ops, "Tensor"):
        _ops.Tensor = _tensor.Tensor
    if not hasattr(_vs, "variable"):
        _vs.variable = _vv1.VariableV1
    import warnings
    warnings.filterwarnings("ignore")
    v1.logging.set_verbosity(v1.logging.ERROR)
    try:
        import absl.logging
        absl.logging.set_verbosity(absl.logging.ERROR)
    except Exception:
        pass
    _TF = (v1, tf_slim, tensorflow)
    return _TF


# ---------------------------------------------------------------- the `tensorflow` module

class _HParams(object):
    """TF 1.15's tf.contrib.training.HParams (gone from TF 2), the part model files use:
    keyword construction, attributes, set_hparam (an int into a float is cast), add_hparam,
    values(), get()."""

    def __init__(self, hparam_def=None, model_structure=None, **kwargs):
        self._hparam_types = {}
        for name, value in kwargs.items():
            self.add_hparam(name, value)

    def add_hparam(self, name, value):
        if getattr(self, name, None) is not None:
            raise ValueError("Hyperparameter name is reserved: %s" % name)
        self._hparam_types[name] = type(value)
        setattr(self, name, value)

    def set_hparam(self, name, value):
        param_type = self._hparam_types[name]
        if param_type is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        setattr(self, name, value)

    def values(self):
        return {n: getattr(self, n) for n in self._hparam_types}

    def get(self, key, default=None):
        return getattr(self, key) if key in self._hparam_types else default


def _tf_modules():
    v1, slim, tf2 = load_tf()

    class TFModule(types.ModuleType):
        def __getattr__(self, name):
            return getattr(v1, name)

        def __dir__(self):
            return sorted(set(dir(v1)) | set(self.__dict__))

    tfm = TFModule("tensorflow")
    contrib = types.ModuleType("tensorflow.contrib")
    contrib.slim = slim
    contrib.layers = slim
    contrib.framework = slim
    contrib.training = types.ModuleType("tensorflow.contrib.training")
    contrib.training.HParams = _HParams
    compat = types.ModuleType("tensorflow.compat")
    compat.v1 = tfm
    compat.v2 = tf2.compat.v2
    tfm.contrib = contrib
    tfm.compat = compat
    mods = {"tensorflow": tfm, "tensorflow.compat": compat, "tensorflow.compat.v1": tfm,
            "tensorflow.contrib": contrib, "tensorflow.contrib.slim": slim,
            "tensorflow.contrib.layers": slim, "tensorflow.contrib.framework": slim,
            "tensorflow.contrib.training": contrib.training}
    return tfm, mods


# ---------------------------------------------------------------- translation

_DTYPES = {"f16": "float16", "bf16": "bfloat16", "f32": "float32", "f64": "float64", "i8": "int8",
           "i16": "int16", "i32": "int32", "i64": "int64", "u8": "uint8", "bool": "bool"}

_MODEL_RE = re.compile(r"model(\s+)([A-Za-z_][A-Za-z_0-9]*)\s*\(")


def _scan_header(text, start):
    """Index just past the ')' closing the '(' at or after start; skips strings."""
    i = text.index("(", start)
    depth = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c in "\"'":
            q = c * 3 if text.startswith(c * 3, i) else c
            j = text.find(q, i + len(q))
            while j > 0 and len(q) == 1 and text[j - 1] == "\\":
                j = text.find(q, j + 1)
            if j < 0:
                return n
            i = j + len(q)
            continue
        if c == "#":
            j = text.find("\n", i)
            i = n if j < 0 else j
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return n


def translate_text(text):
    """`model` headers -> `def` headers of the same length; returns (text, model names)."""
    models = []
    out = []
    pos = 0
    # a top-level statement starts at column 0 of a line that is not inside brackets or a
    # string; the scan is kept simple: a line starting with `model NAME(`
    for m in re.finditer(r"(?m)^model\s+[A-Za-z_][A-Za-z_0-9]*\s*\(", text):
        if m.start() < pos:
            continue
        mm = _MODEL_RE.match(text, m.start())
        end = _scan_header(text, m.start())
        header = text[m.start():end]
        header = "def  " + header[5:]
        header = re.sub(r"\?", "_", header)
        header = re.sub(r"\[(\s*)\]", r"(\1)", header)  # f32[] (a scalar) -> f32()
        out.append(text[pos:m.start()])
        out.append(header)
        pos = end
        models.append(mm.group(2))
    out.append(text[pos:])
    return "".join(out), models


def _literal_dims(node, path):
    dims = []
    elts = node.elts if isinstance(node, ast.Tuple) else [node]
    for e in elts:
        if isinstance(e, ast.Name) and e.id == "_":
            dims.append(None)
        elif isinstance(e, ast.Constant) and isinstance(e.value, int) and not isinstance(e.value, bool):
            dims.append(e.value)
        else:
            raise SlimError(path, e.lineno, e.col_offset + 1, "a dimension must be an integer or '?'", kind="slimc")
    return dims


class Model:
    def __init__(self, name, node, params):
        self.name, self.node, self.params = name, node, params  # params: [(name, kind, info)]


def parse_source(path, text, is_main):
    """Returns (code object, {model name: Model}) for a .slim or .py file."""
    translated, model_names = translate_text(text) if path.endswith(".slim") else (text, [])
    try:
        tree = ast.parse(translated, path)
    except SyntaxError as e:
        if e.msg.startswith("non-default argument follows default") and model_names:
            raise ShimError("%s:%d: an input after an option in a model header has no Python spelling "
                            "(the shim cannot express it)" % (path, e.lineno or 0))
        raise SlimError(path, e.lineno or 0, e.offset or 0, e.msg, kind="syntax")
    except ValueError as e:  # e.g. a NUL byte
        raise SlimError(path, 0, 0, str(e), kind="syntax")
    models = {}
    for i, st in enumerate(tree.body):
        if isinstance(st, ast.FunctionDef) and st.name in model_names and \
                translated.startswith("def  ", _offset(translated, st.lineno, st.col_offset)):
            params = []
            a = st.args
            if a.posonlyargs or a.vararg or a.kwarg or a.kwonlyargs:
                raise ShimError("%s:%d: the shim cannot express this model header" % (path, st.lineno))
            ndef = len(a.defaults)
            for j, arg in enumerate(a.args):
                k = j - (len(a.args) - ndef)
                if arg.annotation is not None:
                    ann = arg.annotation
                    if isinstance(ann, ast.Call) and isinstance(ann.func, ast.Name) and not ann.args:
                        ann = ast.Subscript(value=ann.func, slice=ast.Tuple(elts=[]))
                    if not (isinstance(ann, ast.Subscript) and isinstance(ann.value, ast.Name)):
                        raise SlimError(path, ann.lineno, ann.col_offset + 1,
                                        "expected a tensor type such as f32[1, 3]", kind="slimc")
                    dt = _DTYPES.get(ann.value.id, ann.value.id)
                    if ann.value.id not in _DTYPES and ann.value.id not in _DTYPES.values():
                        raise SlimError(path, ann.lineno, ann.col_offset + 1, "unknown dtype '%s' for input '%s'"
                                        % (ann.value.id, arg.arg), kind="slimc")
                    params.append((arg.arg, "input", (dt, _literal_dims(ann.slice, path), arg)))
                    arg.annotation = None
                    if k >= 0:
                        raise ShimError("%s:%d: the shim cannot express an input with a default" % (path, arg.lineno))
                elif k >= 0:
                    params.append((arg.arg, "option", a.defaults[k]))
                else:
                    raise ShimError("%s:%d: model parameter '%s' has neither a type nor a default"
                                    % (path, arg.lineno, arg.arg))
            models[st.name] = Model(st.name, st, params)
        elif isinstance(st, ast.Expr) and isinstance(st.value, ast.Call) and \
                isinstance(st.value.func, ast.Name) and st.value.func.id == "load":
            st.value.func.id = "__slim_load__"
    try:
        return compile(tree, path, "exec", dont_inherit=True), models
    except SyntaxError as e:  # found after parsing: duplicate parameters, misplaced nonlocal...
        raise SlimError(path, e.lineno or 0, e.offset or 0, e.msg, kind="syntax")


def _offset(text, line, col):
    off = 0
    for _ in range(line - 1):
        off = text.index("\n", off) + 1
    return off + col


# ---------------------------------------------------------------- evaluation

_PLAIN_MODULES = ("collections", "functools", "contextlib", "copy", "math", "six", "__future__", "os",
                  "logging", "numpy", "re", "itertools", "abc", "string", "operator", "typing", "sys")


class Build:
    """One model evaluated in a fresh graph."""

    def __init__(self, path, model=None, defines=(), includes=(), restore_ema=False):
        self.path = path
        self.main_dir = os.path.dirname(os.path.abspath(path))
        self.includes = [os.path.abspath(d) for d in includes]
        self.restore_ema = restore_ema
        self.modules = {}
        self.loaded = {}
        self.loading = []
        self.restore_override = None
        self.model = None
        self.graph = None
        self.inputs, self.outputs, self.restore, self.variables = [], [], [], []
        self.v1, self.slim, _ = load_tf()
        self.tfm, self.tf_modules = _tf_modules()
        self._builtins = dict(vars(builtins))
        self._builtins["__import__"] = self._import
        self.user_files = set()

    # -- namespaces
    def _globals(self, path, name, package):
        g = {}
        v1, slim = self.v1, self.slim
        for src in (slim, v1):
            for k in dir(src):
                if k.startswith("_") or k in g or hasattr(builtins, k):
                    continue
                try:
                    g[k] = getattr(src, k)
                except Exception:
                    pass
        g.setdefault("nn", v1.nn)
        g["restore"] = self._restore
        g["__slim_load__"] = lambda *a, **kw: self._load(path, g, *a, **kw)
        g["__builtins__"] = self._builtins
        g["__name__"] = name
        g["__file__"] = path
        g["__package__"] = package
        return g

    def _exec_file(self, path, name, package, is_main=False):
        # load() is the language's own (LANGUAGE.md), not Python's: a source is a regular
        # file, as slimc reads it (a device such as /dev/zero would be read for ever)
        if os.path.exists(path) and not os.path.isfile(path):
            raise LangError("cannot read '%s': not a regular file" % path)
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except OSError as e:
            raise LangError("cannot read '%s': %s" % (path, e.strerror))
        self.user_files.add(os.path.abspath(path))
        code, models = parse_source(path, text, is_main)
        g = self._globals(path, name, package)
        exec(code, g)
        return g, models

    # -- load("file.slim", "sym", alias="sym")
    def _load(self, frompath, into, file, *names, **aliases):
        p = os.path.normpath(os.path.join(os.path.dirname(frompath), file))
        if not os.path.exists(p):
            for d in self.includes:
                q = os.path.join(d, file)
                if os.path.exists(q):
                    p = q
                    break
        key = os.path.abspath(p)
        if key in self.loading:
            raise LangError("load cycle: '%s' is already being loaded" % file)
        if key not in self.loaded:
            if not os.path.exists(p):
                raise LangError("cannot find '%s' to load" % file)
            self.loading.append(key)
            try:
                g, _ = self._exec_file(p, os.path.splitext(os.path.basename(p))[0], "")
            finally:
                self.loading.pop()
            self.loaded[key] = g
        g = self.loaded[key]
        for n in names:
            if n not in g:
                raise LangError("'%s' has no symbol '%s'" % (file, n))
            into[n] = g[n]
        for a, n in aliases.items():
            if n not in g:
                raise LangError("'%s' has no symbol '%s'" % (file, n))
            into[a] = g[n]

    # -- import
    def _find(self, dotted, roots):
        """slimc's lookup (LANGUAGE.md 3.2, CPython's order): NAME/__init__.py, NAME.slim,
        NAME.py in each root in turn; a bare directory (a namespace package) only when no
        root has one of those."""
        rel = dotted.rsplit(".", 1)[-1]
        nspkg = None
        for r in roots:
            d = os.path.join(r, rel)
            if os.path.isdir(d) and os.path.isfile(os.path.join(d, "__init__.py")):
                return os.path.join(d, "__init__.py"), True, d
            for ext in (".slim", ".py"):
                if os.path.isfile(d + ext):
                    return d + ext, False, None
            if nspkg is None and os.path.isdir(d):
                nspkg = d
        if nspkg is not None:
            return nspkg, True, nspkg
        return None, False, None

    def _user_module(self, dotted, importer_root=None):
        if dotted in self.modules:
            return self.modules[dotted]
        parent = None
        if "." in dotted:
            parent = self._user_module(dotted.rsplit(".", 1)[0], importer_root)
            pdir = getattr(parent, "__slim_dir__", None) if parent is not None else None
            if parent is not None and pdir is None:
                raise ModuleNotFoundError("No module named '%s'; '%s' is not a package" % (dotted, parent.__name__))
            if pdir is None:
                return None
            roots = [pdir]
            root = parent.__slim_root__
        else:
            roots = [importer_root or self.main_dir] + self.includes
            root = None
        p, is_pkg, pkgdir = self._find(dotted, roots)
        if p is None:
            return None
        if root is None:
            root = os.path.dirname(pkgdir if pkgdir else p)
        import importlib.machinery
        mod = types.ModuleType(dotted)
        mod.__slim_root__ = root
        mod.__slim_dir__ = pkgdir
        self.modules[dotted] = mod
        if os.path.isfile(p):
            pkg = dotted if is_pkg else dotted.rpartition(".")[0]
            # run in the module's own namespace, so that a cycle sees it partly made
            mod.__spec__ = importlib.machinery.ModuleSpec(dotted, None, origin=p)
            mod.__spec__._initializing = True
            mod.__file__ = p
            mod.__dict__.update(self._globals(p, dotted, pkg))
            mod.__dict__["__builtins__"] = self._builtins
            self.user_files.add(os.path.abspath(p))
            with open(p, encoding="utf-8") as f:
                text = f.read()
            code, _ = parse_source(p, text, False)
            try:
                exec(code, mod.__dict__)
            finally:
                mod.__spec__._initializing = False
        else:
            mod.__path__ = [p]
        if parent is not None:
            setattr(parent, dotted.rsplit(".", 1)[1], mod)
        return mod

    def _import(self, name, globals=None, locals=None, fromlist=(), level=0):
        root = None
        if level:
            pkg = (globals or {}).get("__package__") or ""
            if not pkg:
                raise ImportError("attempted relative import with no known parent package")
            parts = pkg.split(".") if pkg else []
            if level > len(parts):  # CPython: len(package.rsplit(".", level - 1)) < level
                raise ImportError("attempted relative import beyond top-level package")
            base = parts[:len(parts) - (level - 1)]
            name = ".".join(base + ([name] if name else []))
        if name in self.tf_modules:
            mod = self.tf_modules[name]
            top = self.tfm
        elif name == "tf_slim" or name.startswith("tf_slim."):
            __import__(name)
            mod, top = sys.modules[name], self.slim
        else:
            root = (globals or {}).get("__slim_root__")
            mod = self._user_module(name, root)
            if mod is None:
                if name.split(".")[0] in self.modules:
                    raise ModuleNotFoundError("No module named '%s'" % name)
                return __import__(name, globals, locals, fromlist, 0)
            top = self.modules[name.split(".")[0]]
        if fromlist:
            for item in fromlist:
                if item != "*" and not hasattr(mod, item) and name not in self.tf_modules:
                    try:  # CPython: a missing submodule here becomes IMPORT_FROM's ImportError
                        self._user_module(name + "." + item, root)
                    except ModuleNotFoundError:
                        pass
            return mod
        return top if not level else mod

    # -- restore(mapping)
    def _restore(self, mapping):
        self.restore_override = mapping

    # -- the model
    def _run(self, model, defines):
        v1 = self.v1
        top = v1.Graph()
        with top.as_default():
            g, models = self._exec_file(self.path, "__main__", "", is_main=True)
        if model is None:
            if not models:
                raise SlimError(self.path, 0, 0, "no model declared in this file (expected 'model NAME(...):')", kind="slimc")
            if len(models) > 1:
                raise SlimError(self.path, 0, 0, "the file declares several models (%s): pick one with -m"
                                % ", ".join(models), kind="slimc")
            model = next(iter(models))
        if model not in models:
            raise SlimError(self.path, 0, 0, "no model named '%s' in this file" % model, kind="slimc")
        m = models[model]
        self.model = model
        fn = g[model]
        opts = {}
        for d in defines:
            k, _, v = d.partition("=")
            if not any(p[0] == k and p[1] == "option" for p in m.params):
                raise SlimError("", 0, 0, "-D %s: model '%s' has no parameter '%s'" % (k, model, k), kind="slimc")
            opts[k] = _define_value(v)
        self.graph = v1.Graph()
        if getattr(self, "graph_seed", None) is not None:
            self.graph.seed = self.graph_seed  # tf.set_random_seed, before any op exists
        with self.graph.as_default():
            kwargs = {}
            for name, kind, info in m.params:
                if kind == "input":
                    dt, dims, node = info
                    ph = v1.placeholder(v1.as_dtype(dt), dims, name=name)
                    self.inputs.append((name, ph))
                    kwargs[name] = ph
                elif name in opts:
                    kwargs[name] = opts[name]
            result = fn(**kwargs)
            self._outputs(result, m)
            self._variables()
            self._restore_map()

    def _outputs(self, result, m):
        v1 = self.v1
        if isinstance(result, dict):
            items = list(result.items())
        elif isinstance(result, (tuple, list)):
            items = [("output_%d" % i, t) for i, t in enumerate(result)]
        else:
            items = [("output", result)]
        if not items:
            raise SlimError(self.path, m.node.lineno, 1, "the model returns no outputs", kind="slimc")
        for k, t in items:
            if not isinstance(k, str):
                raise SlimError(self.path, m.node.lineno, 1, "model output names must be strings", kind="slimc")
            if isinstance(t, v1.Variable):
                t = t.value()
            if not isinstance(t, v1.Tensor):
                raise SlimError(self.path, m.node.lineno, 1, "model output '%s' is not a tensor (got %s)"
                                % (k, type(t).__name__), kind="slimc")
            self.outputs.append((k, t))

    def _variables(self):
        """Every variable op of the graph in creation order, with its variable object if a
        collection holds one."""
        byop = {}
        for key in self.graph.get_all_collection_keys():
            for v in self.graph.get_collection(key):
                if isinstance(v, self.v1.Variable):
                    byop.setdefault(v.op.name, v)
        for op in self.graph.get_operations():
            if op.type in ("VariableV2", "Variable", "VarHandleOp"):
                self.variables.append((op.name, byop.get(op.name, op)))

    def _restore_map(self):
        v1 = self.v1
        m = self.restore_override
        pairs = []
        if isinstance(m, dict):
            pairs = [(k, v) for k, v in m.items()]
        elif m is not None:
            pairs = [(v.op.name, v) for v in m]
        else:
            live = set()
            stack = [t.op for _, t in self.outputs]
            while stack:
                op = stack.pop()
                if op.name in live:
                    continue
                live.add(op.name)
                stack.extend(i.op for i in op.inputs)
                stack.extend(op.control_inputs)
            mv = {id(v) for v in self.graph.get_collection("model_variables")}
            for v in self.graph.get_collection("variables"):
                if v.op.name in live:
                    key = v.op.name
                    if self.restore_ema and id(v) in mv:
                        key += "/ExponentialMovingAverage"
                    pairs.append((key, v))
        pairs.sort(key=lambda p: p[0])
        self.restore = pairs


def _define_value(v):
    if v in ("True", "False"):
        return v == "True"
    for f in (int, float):
        try:
            return f(v)
        except ValueError:
            pass
    return v


# ---------------------------------------------------------------- errors

def _user_frame(tb_list, user_files):
    for fs in reversed(tb_list):
        if os.path.abspath(fs.filename) in user_files:
            return fs
    return None


def error_from_exception(e, b_files):
    """A SlimError for exception e raised while building (b_files: the user's files)."""
    if isinstance(e, SlimError):
        return e
    tb = traceback.extract_tb(e.__traceback__)
    if isinstance(e, LangError):
        fs = _user_frame(tb, b_files)
        return SlimError(fs.filename if fs else "", fs.lineno if fs else 0, 0, str(e), kind="slimc")
    fs = _user_frame(tb, b_files)
    msg = str(e)
    if isinstance(e, KeyError) and e.args:
        msg = "KeyError: %r" % (e.args[0],)
    innermost_user = bool(tb) and fs is tb[-1]
    if fs is not None and innermost_user and fs.line and not isinstance(e, KeyError):
        stmt = fs.line.lstrip()
        if (stmt.startswith("assert") and isinstance(e, AssertionError)) or \
                (stmt.startswith("raise") and msg != "exceptions must derive from BaseException"):
            msg = type(e).__name__ + (": " + msg if msg else "")
    if not msg:
        msg = type(e).__name__
    first = msg.split("\n", 1)[0]
    first = re.sub(r"\s*Originally defined at:\s*$", "", first)
    if fs is None:
        return SlimError("", 0, 0, first)
    col = (fs.colno + 1) if getattr(fs, "colno", None) is not None else 0
    return SlimError(fs.filename, fs.lineno, col, first)


def build(path, model=None, defines=(), includes=(), restore_ema=False):
    """Evaluates the model; raises SlimError (the program's error) or ShimError."""
    b = Build(path, model, defines, includes, restore_ema)
    try:
        b._run(model, defines)
    except (ShimError, SlimError):
        raise
    except Exception as e:
        raise error_from_exception(e, b.user_files) from None
    return b


# ---------------------------------------------------------------- listings (slimc's formats)

def shape_str(shape):
    try:
        dims = shape.as_list()
    except ValueError:
        return "<unknown>"
    return "[" + ",".join("?" if d is None else str(d) for d in dims) + "]"


def _dtype_name(dt):
    return dt.base_dtype.name


def variables_lines(b):
    out = []
    keys = [k for k in b.graph.get_all_collection_keys() if isinstance(k, str)]
    for name, v in b.variables:
        if isinstance(v, b.v1.Variable):
            cols = sorted(k for k in keys if any(x is v for x in b.graph.get_collection(k)))
            out.append("%s\t%s\t%s\t%s" % (name, _dtype_name(v.dtype), shape_str(v.shape), ",".join(cols)))
        else:  # a variable op no collection holds
            t = v.outputs[0]
            out.append("%s\t%s\t%s\t" % (name, _dtype_name(t.dtype), shape_str(t.shape)))
    return out


def _entry_name(x):
    n = getattr(x, "name", None)
    if isinstance(n, str):
        return n
    return str(x)


def collection_lines(b, key):
    return [_entry_name(x) for x in b.graph.get_collection(key)]


def restore_map_lines(b):
    return ["%s\t%s" % (k, v.op.name) for k, v in b.restore]


def signature_lines(b):
    out = ["input\t%s\t%s\t%s" % (n, _dtype_name(t.dtype), shape_str(t.shape)) for n, t in b.inputs]
    out += ["output\t%s\t%s\t%s" % (n, _dtype_name(t.dtype), shape_str(t.shape)) for n, t in b.outputs]
    return out


def collection_keys(b):
    return [k for k in b.graph.get_all_collection_keys() if isinstance(k, str)]

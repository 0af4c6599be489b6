"""scripts/oracle: TensorFlow's answers for a .slim program, in slimc's formats.

  oracle print-variables FILE.slim [-m NAME] [-D K=V]... [-I DIR]... [--restore-ema]
  oracle print-collection=KEY FILE.slim [...]     oracle print-restore-map FILE.slim [...]
  oracle print-signature FILE.slim [...]
  oracle init FILE.slim -o PREFIX [--seed=N] [...]
  oracle run FILE.slim --checkpoint=PREFIX --input[=NAME]=X.npy... --output[=NAME]=Y.npy... [...]
  oracle diff FILE.slim [...] [--slimc=PATH] [--seed=N] [--no-outputs] [--max-elements=N]
  oracle suite [--slimc=PATH] [--known=FILE] [--time-limit=S] [--no-outputs] [--prints] [-v] PATH...
                                             (every .slim under PATH, with counts)
  oracle fuzz --seed=S --count=N [--out=DIR] [--outputs-every=K] [--slimc=PATH]   (random programs)

Exit status: 0 success (diff: no disagreement); 1 the program has an error (printed as
slimc prints it) or diff found disagreements; 2 usage error, or the shim cannot run this.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import shim  # noqa: E402

USAGE = __doc__.split("\n\n")[1]


class Usage(Exception):
    pass


class Opts:
    def __init__(self):
        self.file = None
        self.model = None
        self.defines, self.includes = [], []
        self.restore_ema = False
        self.out = None
        self.seed = 0
        self.checkpoint = None
        self.inputs, self.outputs = [], []
        self.slimc = None
        self.no_outputs = False
        self.prints = False  # suite --prints: a program's print() lines are compared too
        self.known = None
        self.paths = []
        self.verbose = False
        self.time_limit = 120
        self.max_elements = 1 << 26


def parse(argv, multi=False):
    o = Opts()
    i = 0
    while i < len(argv):
        a = argv[i]
        if a[:2] in ("-m", "-D", "-I", "-o") and not a.startswith("-mcpu"):
            if len(a) == 2:
                i += 1
                if i >= len(argv):
                    raise Usage("%s needs a value" % a)
                v = argv[i]
            else:
                v = a[2:]
            if a[:2] == "-m":
                o.model = v
            elif a[:2] == "-D":
                o.defines.append(v)
            elif a[:2] == "-I":
                o.includes.append(v)
            else:
                o.out = v
        elif a == "--restore-ema":
            o.restore_ema = True
        elif a == "--prints":
            o.prints = True
        elif a.startswith("--seed="):
            o.seed = int(a[7:])
        elif a.startswith("--checkpoint="):
            o.checkpoint = a[13:]
        elif a.startswith("--input"):
            o.inputs.append(_named(a[7:], "--input"))
        elif a.startswith("--output"):
            o.outputs.append(_named(a[8:], "--output"))
        elif a.startswith("--slimc="):
            o.slimc = a[8:]
        elif a == "--no-outputs":
            o.no_outputs = True
        elif a.startswith("--max-elements="):
            o.max_elements = int(a[15:])
        elif a.startswith("--time-limit="):
            o.time_limit = int(a[13:])
        elif a.startswith("--known="):
            o.known = a[8:]
        elif a in ("-v", "--verbose"):
            o.verbose = True
        elif a.startswith("-") and a != "-":
            raise Usage("unknown option '%s'" % a)
        elif multi:
            o.paths.append(a)
        elif o.file is None:
            o.file = a
        else:
            raise Usage("more than one input file ('%s', '%s')" % (o.file, a))
        i += 1
    if not multi and o.file is None:
        raise Usage("no input file")
    return o


def _named(rest, flag):
    if not rest.startswith("="):
        raise Usage("expected %s=FILE or %s=NAME=FILE" % (flag, flag))
    rest = rest[1:]
    name, eq, f = rest.partition("=")
    return (name, f) if eq else (None, rest)


def build(o):
    return shim.build(o.file, o.model, o.defines, o.includes, o.restore_ema)


def cmd_print(kind, o, key=None):
    b = build(o)
    lines = {"variables": shim.variables_lines, "restore-map": shim.restore_map_lines,
             "signature": shim.signature_lines}.get(kind)
    out = lines(b) if lines else shim.collection_lines(b, key)
    for line in out:
        print(line)
    return 0


def main(argv):
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE)
        return 0 if argv else 2
    cmd, rest = argv[0], argv[1:]
    try:
        if cmd == "print-variables":
            return cmd_print("variables", parse(rest))
        if cmd.startswith("print-collection="):
            return cmd_print("collection", parse(rest), cmd[len("print-collection="):])
        if cmd == "print-restore-map":
            return cmd_print("restore-map", parse(rest))
        if cmd == "print-signature":
            return cmd_print("signature", parse(rest))
        if cmd == "fuzz":
            import fuzz
            return fuzz.cmd_fuzz(rest)
        if cmd in ("init", "run", "diff", "suite"):
            import numeric
            import differ
            if cmd == "init":
                o = parse(rest)
                if not o.out:
                    raise Usage("init needs -o PREFIX")
                return numeric.cmd_init(build(o), o)
            if cmd == "run":
                o = parse(rest)
                return numeric.cmd_run(build(o), o)
            if cmd == "diff":
                return differ.cmd_diff(parse(rest))
            return differ.cmd_suite(parse(rest, multi=True))
        raise Usage("unknown command '%s'" % cmd)
    except Usage as e:
        print("oracle: %s\n%s" % (e, USAGE), file=sys.stderr)
        return 2
    except shim.SlimError as e:
        print(e.format(), file=sys.stderr)
        return 1
    except shim.ShimError as e:
        print("oracle: %s" % e, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

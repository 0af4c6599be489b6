#!/usr/bin/env python3
"""Deep, long and big model files for the bad-input corpus (issue 19: the evaluator's
C stack, elif chains, adjacent string literals, memory accounting, line endings),
written at test time into OUT_DIR with a manifest OUT_DIR/cases.tsv in make_cases.py's
format (NAME, STATUS, REGEX, COMMAND; {slimc} {d} {out} are filled in by the runner).
Every case either compiles (status 0) or ends in its one clean error; before the fixes
each one crashed with SIGSEGV, ran out of memory or was rejected.
usage: make_deep_cases.py OUT_DIR"""
import os
import sys

OUT = sys.argv[1]
cases = []
MODEL = "model m(x: f32[1, 4]):\n    return x\n"


def case(name, status, regex, text, args="", newline=None):
    path = os.path.join(OUT, name + ".slim")
    with open(path, "w", newline=newline) as f:
        f.write(text)
    if "0" in str(status).split("|") and "--dump" not in args:
        args = (args + " -fsyntax-only").strip()  # evaluate the model, write nothing
    cmd = "{slimc} %s{d}/%s.slim -o {out}" % (args + " " if args else "", name)
    cases.append((name, str(status), regex, cmd))


def plus(n, term="1", op="+"):
    return op.join([term] * n)


# ---- item 6: left-deep chains are evaluated in loops; other depth meets the stack guard ----
case("deep-sum-50k", 0, "^$", "y = %s\nassert y == 50000\n" % plus(50000) + MODEL)
case("deep-sum-1m", 0, "^$", "y = %s\nassert y == 1000000\n" % plus(1000000) + MODEL)
case("deep-or-100k", 0, "^$", "y = %s or 7\nassert y == 7\n" % plus(100000, "0", " or ") + MODEL)
case("deep-and-100k", 0, "^$", "y = %s and 7\nassert y == 7\n" % plus(100000, "1", " and ") + MODEL)
case("deep-mul-100k", 0, "^$", "y = %s\nassert y == 1\n" % plus(100000, "1", "*") + MODEL)
case("deep-method-20k", 0, "^$", "y = ' a '" + ".strip()" * 20000 + "\nassert y == 'a'\n" + MODEL)
case("deep-call-20k", 0, "^$", "def f():\n    return f\ny = f" + "()" * 20000 + "\n" + MODEL)
case("deep-index-20k", 0, "^$", "a = [0]\na[0] = a\ny = a" + "[0]" * 20000 + "\n" + MODEL)
case("deep-comp-for-100k", 0, "^$", "y = [1 " + "for i in [1] " * 100000 + "]\nassert y == [1]\n" + MODEL)
# recursion inside the documented 1000-call limit must succeed, however many nested
# expressions each level holds
case("deep-recursion-999-plus25", 0, "^$",
     "def f(n):\n    return 0 if n == 0 else f(n - 1)" + " + 0" * 25 + "\nassert f(998) == 0\n" + MODEL)
case("deep-recursion-990-brackets50", 0, "^$",
     "def f(n):\n    return 0 if n == 0 else " + "[" * 50 + "f(n - 1)" + "]" * 50 + "\ny = f(989)\n" + MODEL)
# a million postfix operators: past the stack guard, a clean error (or success), never a signal
case("deep-call-1m", "0|1", "^$|E0312", "def f():\n    return f\ny = f" + "()" * 1000000 + "\n" + MODEL)
case("deep-method-1m", "0|1", "^$|E0312", "y = 'a'" + ".strip()" * 1000000 + "\n" + MODEL)
# 100k functions each calling the next: the recursion limit
case("deep-call-chain-100k", 1, r"maximum recursion depth exceeded \[E0312\]",
     "".join("def f%d():\n    return f%d()\n" % (i, i + 1) for i in range(100000)) +
     "def f100000():\n    return 0\ny = f0()\n" + MODEL)
# nested lists built in a loop, then printed: Python's RecursionError, no overflow
case("deep-nested-list-values", 1, r"maximum recursion depth exceeded.*\[E0312\]",
     "x = []\nfor i in range(200000):\n    x = [x]\ny = x\nassert len(str(x)) > 0\n" + MODEL)
# --dump=ast of a 100k-term sum: linear output, no recursion (checked for size below)
case("deep-dump-ast-100k", 0, "^$", "y = %s\n" % plus(100000) + MODEL, args="--dump=ast")

# a chain of 30,000 files, each loading the next
chain = os.path.join(OUT, "chain")
os.makedirs(chain, exist_ok=True)
N = 30000
for i in range(N):
    with open(os.path.join(chain, "f%d.slim" % i), "w") as f:
        f.write('load("f%d.slim", "v")\n' % (i + 1) if i + 1 < N else "v = 30000\n")
with open(os.path.join(chain, "main.slim"), "w") as f:
    f.write('load("f0.slim", "v")\nassert v == 30000\n' + MODEL)
cases.append(("deep-load-chain-30k", "0", "^$", "{slimc} -fsyntax-only {d}/chain/main.slim -o {out}"))

# ---- item 14: elif chains, line endings ----
def elifs(n):
    return ("x = %d\nif x == 0:\n    y = 0\n" % (n - 1) +
            "".join("elif x == %d:\n    y = %d\n" % (i, i) for i in range(1, n)) +
            "else:\n    y = -1\nassert y == %d\n" % (n - 1))


case("elif-2500", 0, "^$", elifs(2500) + MODEL)
case("elif-100k", 0, "^$", elifs(100000) + MODEL)
case("line-endings-cr", 0, "^$", "y = 1\nassert y == 1\n".replace("\n", "\r") + MODEL.replace("\n", "\r"), newline="")
case("line-endings-crlf", 0, "^$", "y = 1\r\n" + MODEL.replace("\n", "\r\n"), newline="")
case("line-endings-mixed", 0, "^$",
     's = """a\r\nb\rc"""\r\nassert s == "a\\nb\\nc", s\rt = "x\\\r\ny"\nassert t == "xy", t\r\n' +
     MODEL.replace("\n", "\r"), newline="")
case("line-endings-cr-error-line", 1, r"^[^ ]*line-endings-cr-error-line\.slim:3:5: error: ",
     "a = 1\rb = 2\rc = d\r" + MODEL.replace("\n", "\r"), newline="")

# ---- item 8: adjacent string literals (linear), memory accounting ----
case("strings-adjacent-200k", 0, "^$", "y = " + ' "a"' * 200000 + "\nassert len(y) == 200000\n" + MODEL)
MEM = r"evaluation exceeded the memory limit of 104857600 bytes \[E0314\]"
case("memory-list-of-str", 1, MEM, "y = list('a' * 10**8)\n" + MODEL, args="-fmax-eval-memory=100")
case("memory-tuple-of-range", 1, MEM, "y = tuple(range(10**8))\n" + MODEL, args="-fmax-eval-memory=100")
case("memory-list-of-range", 1, MEM, "y = [i for i in range(10**8)]\n" + MODEL, args="-fmax-eval-memory=100")
case("memory-dict-comp", 1, MEM, "y = {i: i for i in range(10**8)}\n" + MODEL, args="-fmax-eval-memory=100")
case("memory-split", 1, MEM, "y = ('a ' * (4 * 10**7)).split()\n" + MODEL, args="-fmax-eval-memory=100")

with open(os.path.join(OUT, "cases.tsv"), "w") as f:
    for c in cases:
        f.write("\t".join(c) + "\n")

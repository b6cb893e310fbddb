"""bnlint against ruff (and flake8 when installed), side by side, in one run.

    python benchmarks/bench.py [--files 3000] [--runs 5] [--corpus DIR]

Builds a synthetic corpus (or uses --corpus DIR, e.g. a real code base),
then times, alternating the tools run by run:

- cold: ``bnlint check --no-cache`` vs ``ruff check --no-cache --select E,F``
- warm: ``bnlint check`` (cache filled, nothing changed) vs ruff's cached run
- one model file, start to finish, as pre-commit calls it (the project's
  other modules read for it), cache warm, after a change to that file
- peak memory (max RSS of the bnlint process)

and prints medians and ratios.  A script, not a test: these machines are
noisy, so read medians over several runs.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import corpus  # noqa: E402

_PEAK = (
    "import resource, subprocess, sys; "
    "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


def timed(cmd, cwd) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - t0
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed: {proc.stderr.decode()[-2000:]}")
    return elapsed


def peak_mb(cmd, cwd) -> int:
    """Peak RSS of ``cmd`` and its worker processes, in a fresh parent."""
    out = subprocess.run([sys.executable, "-c", _PEAK, *cmd], cwd=cwd, capture_output=True, text=True)
    return int(out.stdout.strip() or 0) // 1024


def tool(name: str) -> list[str] | None:
    exe = shutil.which(name)
    if exe is None:
        candidate = os.path.join(os.path.dirname(sys.executable), name)
        exe = candidate if os.path.exists(candidate) else None
    return [exe] if exe else None


def compile_bnlint() -> None:
    """Write bnlint's bytecode first, as installing a package does: an
    editable checkout under PYTHONDONTWRITEBYTECODE=1 would otherwise
    compile its changed modules again at every start (~0.1 s a run)."""
    import compileall

    import bnlint

    compileall.compile_dir(os.path.dirname(bnlint.__file__), quiet=1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=3000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--corpus", help="benchmark this folder instead of a synthetic corpus")
    args = ap.parse_args()

    bnlint = tool("bnlint") or [sys.executable, "-m", "bnlint"]
    compile_bnlint()
    ruff = tool("ruff")
    flake8 = tool("flake8")
    if ruff is None:
        raise SystemExit("ruff is not installed: pip install -e '.[bench]'")

    tmp = None
    if args.corpus:
        root = os.path.abspath(args.corpus)
        info = {"files": "?", "model_files": "?", "lines": "?"}
    else:
        tmp = tempfile.mkdtemp(prefix="bnlint-bench-")
        root = os.path.join(tmp, "corpus")
        info = corpus.build(root, files=args.files)
    cache = os.path.join(tmp or tempfile.mkdtemp(), "bnlint-cache")
    env_cache = ["--cache-dir", cache]
    one = next(
        (
            os.path.join(d, f)
            for d, _, fs in os.walk(root)
            for f in fs
            if f.endswith(".py") and "BatchNormalization" in open(os.path.join(d, f)).read()
        ),
        None,
    )

    original = open(one, encoding="utf-8").read() if one else None
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(f"corpus: {root} ({info['files']} files, {info['model_files']} model files, {info['lines']} lines)")

    results: dict[str, list[float]] = {}

    def record(key, cmd):
        results.setdefault(key, []).append(timed(cmd, root))

    # warm the OS file cache once, and fill both tools' caches
    timed(ruff + ["check", "--select", "E,F", "."], root)
    timed(bnlint + ["check", *env_cache, "."], root)
    for _ in range(args.runs):
        record("bnlint cold", bnlint + ["check", "--no-cache", "."])
        record("ruff cold", ruff + ["check", "--no-cache", "--select", "E,F", "."])
        record("bnlint warm", bnlint + ["check", *env_cache, "."])
        record("ruff warm", ruff + ["check", "--select", "E,F", "."])
        if one:
            with open(one, "a", encoding="utf-8") as f:
                f.write("# changed\n")  # one changed file, the cache otherwise warm
            record("bnlint one file", bnlint + ["check", *env_cache, one])
            record("ruff one file", ruff + ["check", "--select", "E,F", one])
            with open(one, "w", encoding="utf-8") as f:
                f.write(original)  # unchanged again: the next warm run is warm
    if flake8:
        record("flake8 -j2", flake8 + ["-j2", "--select", "E,F", "."])

    med = {k: statistics.median(v) for k, v in results.items()}
    print(f"\n{'run':<18}{'median s':>10}{'min s':>10}{'runs':>6}")
    for k, v in results.items():
        print(f"{k:<18}{med[k]:>10.3f}{min(v):>10.3f}{len(v):>6}")
    print()
    print(f"cold  bnlint/ruff: {med['bnlint cold'] / med['ruff cold']:.2f}x  (goal <= 1.5x)")
    print(f"warm  bnlint/ruff: {med['bnlint warm'] / med['ruff warm']:.2f}x  (goal <= 1x)")
    if one:
        print(f"one changed file, warm cache: {med['bnlint one file']:.3f} s  (goal <= 0.3 s)")
    print(
        f"peak memory (bnlint cold): {peak_mb(bnlint + ['check', '--no-cache', '.'], root)} MB  (goal <= 300 MB)"
    )
    if one and original is not None:
        with open(one, "w", encoding="utf-8") as f:
            f.write(original)
    if tmp:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

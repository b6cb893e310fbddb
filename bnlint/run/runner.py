"""Runs the linter over many files: read, cache, prefilter, and the
per-file work on both cores when there is enough of it."""

from __future__ import annotations

import dataclasses
import os
import sys

from bnlint.diagnostics import Diagnostic, from_dict, to_dict
from bnlint.run import prefilter
from bnlint.run.linter import SYNTAX_ERROR, Result, decode_check, enabled_rules, fix_source, lint_source
from bnlint.run.settings import Settings

READ_ERROR = "BN902"
# Below this many files to parse, a process pool costs more than it saves.
POOL_THRESHOLD = 8


def _problem(path: str, code: str, message: str) -> Diagnostic:
    return Diagnostic(code, message, path, ((1, 0), (1, 0)))


def read(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def _map_cells(result: Result, nb) -> Result:
    def move(d: Diagnostic) -> Diagnostic:
        (l1, c1), (l2, c2) = d.span
        cell, line = nb.locate(l1)
        _, end_line = nb.locate(l2)
        return dataclasses.replace(d, span=((line, c1), (end_line, c2)), cell=cell)

    result.diagnostics = [move(d) for d in result.diagnostics]
    if result.error is not None and result.error.code == SYNTAX_ERROR:
        result.error = move(result.error)
    return result


def notebook_check(path: str, data: bytes) -> Result:
    """A notebook no rule can fire on is still checked for being one."""
    from bnlint.run.notebooks import Notebook, NotebookError

    r = Result(path)
    try:
        Notebook(data)
    except NotebookError as exc:
        r.error = _problem(path, SYNTAX_ERROR, f"SyntaxError: {exc}")
    return r


def lint_bytes(
    path: str, data: bytes, settings: Settings, use_prefilter: bool = True, skip_unrelated: bool = True
) -> Result:
    """Lint one file's bytes, .py or .ipynb."""
    if path.endswith(".ipynb"):
        from bnlint.run.notebooks import Notebook, NotebookError

        try:
            nb = Notebook(data)
        except NotebookError as exc:
            r = Result(path)
            r.error = _problem(path, SYNTAX_ERROR, f"SyntaxError: {exc}")
            return r
        source = nb.source.encode("utf-8")
        return _map_cells(lint_source(path, source, settings, use_prefilter, skip_unrelated), nb)
    return lint_source(path, data, settings, use_prefilter, skip_unrelated)


def fix_bytes(path: str, data: bytes, settings: Settings):
    """(new data, number fixed, result after fixing) for one file."""
    if path.endswith(".ipynb"):
        from bnlint.run.notebooks import Notebook

        nb = Notebook(data)
        new_src, fixed, result = fix_source(path, nb.source.encode("utf-8"), settings)
        result = _map_cells(result, nb)
        if not fixed:
            return data, 0, result
        return nb.with_source(new_src.decode("utf-8")), fixed, result
    return fix_source(path, data, settings)


def _lint_job(job):
    path, data, settings, use_prefilter, skip_unrelated = job
    try:
        r = lint_bytes(path, data, settings, use_prefilter, skip_unrelated)
    except RecursionError:
        r = Result(path)
        r.error = _problem(path, SYNTAX_ERROR, "SyntaxError: too deeply nested to analyse")
    except Exception as exc:  # never a traceback, never a lost run
        r = Result(path, internal=True)
        r.error = _problem(path, "BN901", f"internal error ({type(exc).__name__}: {exc}); please report it")
    return r


class _Workers:
    """Lints jobs as they are found: in this process for the first few,
    then on a process pool that works while files are still being read."""

    def __init__(self) -> None:
        self.pool = None
        self.pending: list = []  # futures, or finished results
        self.cpus = os.cpu_count() or 1

    def submit(self, job) -> None:
        self.pending.append(job)
        if self.pool is None and len(self.pending) >= POOL_THRESHOLD and self.cpus > 1:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            method = "fork" if sys.platform.startswith("linux") else None
            ctx = multiprocessing.get_context(method)
            self.pool = ProcessPoolExecutor(max_workers=min(self.cpus, 8), mp_context=ctx)
            self.pending = [self.pool.submit(_lint_job, j) for j in self.pending]
        elif self.pool is not None:
            self.pending[-1] = self.pool.submit(_lint_job, job)

    def results(self):
        from concurrent.futures import Future

        try:
            for item in self.pending:
                yield item.result() if isinstance(item, Future) else _lint_job(item)
        finally:
            if self.pool is not None:
                self.pool.shutdown()


def check_files(paths, settings_for, cache=None, speedups=True) -> list[Result]:
    """Lint files; ``settings_for(path)`` gives each file's settings and
    ``cache`` (or None) remembers results by content."""
    from bnlint.run.cache import content_hash

    results: dict[str, Result] = {}
    workers, digests = _Workers(), {}
    for path in paths:
        try:
            data = read(path)
        except OSError as exc:
            r = Result(path)
            r.error = _problem(path, READ_ERROR, f"cannot read file: {exc.strerror or exc}")
            results[path] = r
            continue
        settings = settings_for(path)
        if cache is not None:
            # each file's own settings (nested configs differ) key it too
            digest = content_hash(data + settings.cache_key().encode())
            digests[path] = digest
            hit = cache.get(path, digest)
            if hit is not None:
                r = Result(path, [from_dict(d) for d in hit[0]])
                r.error = from_dict(hit[1]) if hit[1] else None
                results[path] = r
                continue
        if speedups:  # the prefilter is sound for notebooks too: their JSON holds the code
            if not prefilter.may_have_findings(data, enabled_rules(settings)):
                r = results[path] = (
                    notebook_check(path, data) if path.endswith(".ipynb") else decode_check(path, data)
                )
                if cache is not None:
                    cache.put(path, digests[path], [[], to_dict(r.error) if r.error else None])
                continue
        # the prefilter has run: the job need not run it again
        workers.submit((path, data, settings, False, speedups))
    for r in workers.results():
        results[r.path] = r
        if cache is not None and not r.internal:
            cache.put(
                r.path,
                digests[r.path],
                [[to_dict(d) for d in r.diagnostics], to_dict(r.error) if r.error else None],
            )
    if cache is not None:
        cache.save()
    return [results[p] for p in paths]

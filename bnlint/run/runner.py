"""Runs the linter over many files: read, cache, prefilter, and the
per-file work on both cores when there is enough of it."""

from __future__ import annotations

import dataclasses
import itertools
import os
import sys

from bnlint.analysis.project import Project
from bnlint.analysis.project import real as real_path
from bnlint.diagnostics import Diagnostic, from_dict, to_dict
from bnlint.run import prefilter
from bnlint.run.linter import (
    SYNTAX_ERROR,
    Entry,
    Result,
    decode_check,
    enabled_rules,
    fix_source,
    lint_modules,
    lint_source,
)
from bnlint.run.project_scan import ImportGraph, builds_train_op, groups, relevant
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
    path: str,
    data: bytes,
    settings: Settings,
    use_prefilter: bool = True,
    skip_unrelated: bool = True,
    project: Project | None = None,
) -> Result:
    """Lint one file's bytes, .py or .ipynb (with the ``project`` modules
    a .py file imports)."""
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
    return lint_source(path, data, settings, use_prefilter, skip_unrelated, project)


def fix_bytes(path: str, data: bytes, settings: Settings, project=None, callers=()):
    """(new data, number fixed, result after fixing) for one file; the
    ``project`` modules it imports and its ``callers`` are read, not edited."""
    if path.endswith(".ipynb"):
        from bnlint.run.notebooks import Notebook

        nb = Notebook(data)
        new_src, fixed, result = fix_source(path, nb.source.encode("utf-8"), settings)
        result = _map_cells(result, nb)
        if not fixed:
            return data, 0, result
        return nb.with_source(new_src.decode("utf-8")), fixed, result
    return fix_source(path, data, settings, project=project, callers=callers)


# Modules parsed by this process, by real path and content: the jobs a
# worker runs share the project modules they import.
_PARSED: dict = {}


def _lint_job(job):
    """One group of modules analysed together: {path: Result} for its
    checked files, and the (path, digest) of every other file it read."""
    from bnlint.run.cache import content_hash

    entries, speedups = job
    project = Project(shared=_PARSED)
    try:
        if len(entries) == 1 and entries[0].path.endswith(".ipynb"):
            e = entries[0]
            out = {e.path: lint_bytes(e.path, e.data, e.settings, False, speedups)}
        else:
            out = lint_modules(entries, project, skip_unrelated=speedups)
    except RecursionError:
        out = {}
        for e in entries:
            if e.checked:
                out[e.path] = Result(e.path)
                out[e.path].error = _problem(
                    e.path, SYNTAX_ERROR, "SyntaxError: too deeply nested to analyse"
                )
    except Exception as exc:  # never a traceback, never a lost run
        out = {}
        for e in entries:
            if e.checked:
                out[e.path] = Result(e.path, internal=True)
                out[e.path].error = _problem(
                    e.path, "BN901", f"internal error ({type(exc).__name__}: {exc}); please report it"
                )
    deps = {}
    for path in sorted(project.read_paths):
        try:
            deps[path] = content_hash(read(path))
        except OSError:
            deps[path] = None
    return out, deps


class _Workers:
    """Runs jobs in this process for the first few, then on a process pool."""

    def __init__(self) -> None:
        self.pool = None
        self.pending: list = []  # futures, or jobs not yet run
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


class ProjectFiles:
    """The checked files seen as part of their project: which of them can
    have findings, which other files call into them, and which must be
    analysed together."""

    def __init__(self, datas: dict, scan_importers: bool = False):
        self.datas = datas  # checked path -> bytes
        self.real = {p: real_path(p) for p in datas if p != "-"}
        self._by_real = {r: self.datas[p] for p, r in self.real.items()}
        self._display = {r: p for p, r in self.real.items()}
        self.project = Project(read=self._read)
        self.graph = ImportGraph(self.project, self.data_of)
        self.others: dict[str, str] = {}  # real -> display, project files not checked
        self._reverse: dict[str, set[str]] | None = None
        if scan_importers:
            self._scan_project()

    def _read(self, path: str) -> bytes:
        data = self._by_real.get(real_path(path))
        return data if data is not None else read(path)

    def data_of(self, real: str) -> bytes | None:
        if real in self._by_real:
            return self._by_real[real]
        try:
            data = read(real)
        except OSError:
            return None
        self._by_real[real] = data
        return data

    def _scan_project(self) -> None:
        """Files of the checked files' projects that may import them
        (pre-commit passes only the staged files)."""
        from bnlint.run.discovery import discover

        roots = {self.project.root_of(os.path.dirname(r)) for r in self.real.values()}
        found = discover(sorted(os.path.relpath(r) for r in roots))
        for path in found.files:
            real = real_path(path)
            if real not in self._display and path.endswith(".py"):
                self.others[real] = path

    def update(self, path: str, data: bytes) -> None:
        """A checked file was rewritten: later files see its new content."""
        if path in self.real:
            self.datas[path] = data
            self._by_real[self.real[path]] = data
            self.project.forget(path)

    def fed_by_callers(self, path: str) -> bool:
        """Whether callers may hand this module conv outputs that meet a
        batch norm in it (its own text must name something a site needs),
        or a loss its train op trains."""
        if path not in self.datas or path not in self.real:
            return False
        data = self.datas[path]
        # a module with no TensorFlow or Keras in reach holds no site
        # (settings it only defines are found by ``configured``)
        return (
            (relevant(data) or builds_train_op(data))
            and self.graph.reaches_library([self.real[path]])
            and bool(self.callers([path]))
        )

    def configured(self, path: str, rules) -> dict[str, str]:
        """real -> display path of the files that import this module and
        name a batch norm, when the module may hold a rule's setting."""
        data = self.datas.get(path)
        real = self.real.get(path)
        if data is None or real is None or not any(r.may_configure(data) for r in rules):
            return {}
        importers = {r for r in self._importers_map().get(real, ()) if relevant(self.data_of(r) or b"")}
        # and the files that call into those (``BatchNorm2d(64)`` in resnet.py
        # of a class whose default is ``config.BN_MOMENTUM``)
        return {**{r: self.display(r) for r in importers}, **self._callers_of(importers)}

    def imports_project(self, path: str) -> bool:
        """Whether the module uses what project modules offer, or its
        packages set Keras' image format for it, with TensorFlow or Keras in
        reach (without them its imports carry nothing a rule reads)."""
        real = self.real.get(path)
        return (
            real is not None
            and self.graph.reaches_library([real])
            and (self.graph.uses_interface(real) or self.graph.packages_set_format(real))
        )

    def _importers_map(self) -> dict[str, set[str]]:
        """real -> the project files (checked or scanned) that import it."""
        if self._reverse is None:
            self._reverse = {}
            for real in list(self._display) + list(self.others):
                for target in self.graph.imports(real):
                    self._reverse.setdefault(target, set()).add(real)
        return self._reverse

    def callers(self, paths) -> dict[str, str]:
        """real -> display path of every project file that calls into one
        of ``paths``, directly or through other modules."""
        return self._callers_of({self.real[p] for p in paths if p in self.real})

    def _callers_of(self, targets: set[str]) -> dict[str, str]:
        """``callers``, for real paths."""
        if not targets:
            return {}
        reverse = self._importers_map()
        seen: set[str] = set()
        todo = list(targets)
        while todo:
            target = todo.pop()
            for importer in reverse.get(target, ()):
                # an importer that names nothing the module offers feeds it nothing
                if importer not in seen and importer not in targets and self.graph.uses(importer, target):
                    seen.add(importer)
                    todo.append(importer)
        # only callers with something of their own to hand on add contexts;
        # the modules between them and ``paths`` are read as they import them
        return {r: self.display(r) for r in seen if self.graph.contributes(r)}

    def groups(self, reals) -> list[list[str]]:
        return groups(sorted(reals), self.graph)

    def display(self, real: str) -> str:
        return self._display.get(real) or self.others.get(real) or real


def check_files(paths, settings_for, cache=None, speedups=True, scan_importers=False) -> list[Result]:
    """Lint files as parts of their project; ``settings_for(path)`` gives
    each file's settings and ``cache`` (or None) remembers results by
    content and by the content of every module they were analysed with."""
    from bnlint.run.cache import content_hash

    results: dict[str, Result] = {}
    datas: dict[str, bytes] = {}
    for path in paths:
        try:
            datas[path] = read(path)
        except OSError as exc:
            r = Result(path)
            r.error = _problem(path, READ_ERROR, f"cannot read file: {exc.strerror or exc}")
            results[path] = r
    settings = {p: settings_for(p) for p in datas}
    # Nothing changed since the last run over the same files: its results,
    # without building the import graph again.
    run_key = None
    if cache is not None and not scan_importers:
        listing = "|".join(
            f"{p}:{content_hash(d)}:{settings[p].cache_key()}" for p, d in sorted(datas.items())
        )
        run_key = content_hash(listing.encode())
        hit = cache.get(_RUN, run_key)
        if hit is not None and _deps_unchanged([None, None, hit[1]]) and set(hit[0]) == set(datas):
            for path, (diags, error) in hit[0].items():
                results[path] = Result(
                    path, [from_dict(d) for d in diags], from_dict(error) if error else None
                )
            return [results[p] for p in paths]
    files = ProjectFiles({p: d for p, d in datas.items() if not p.endswith(".ipynb")}, scan_importers)
    candidates = []
    syntax_only = []  # files only the syntax rules can fire on: parsed, not analysed
    for path, data in datas.items():
        rules = enabled_rules(settings[path])
        # only the rules that read the layout analysis look across modules
        in_project = (
            speedups
            and any(r.needs_analysis for r in rules)
            and (
                files.imports_project(path)
                or files.fed_by_callers(path)
                or bool(files.configured(path, rules))
            )
        )
        # the prefilter is sound for notebooks too: their JSON holds the code
        if speedups and not in_project and not prefilter.may_have_findings(data, rules):
            key = content_hash(data + settings[path].cache_key().encode())
            hit = cache.get(path, key) if cache is not None else None
            if hit is not None:
                results[path] = Result(path, [], from_dict(hit[1]) if hit[1] else None)
                continue
            r = notebook_check(path, data) if path.endswith(".ipynb") else decode_check(path, data)
            results[path] = r
            if cache is not None:
                cache.put(path, key, [[], to_dict(r.error) if r.error else None, {}])
        elif (
            speedups
            and not in_project
            and not path.endswith(".ipynb")
            and not prefilter.needs_analysis(data, rules)
        ):
            syntax_only.append(path)
        else:
            candidates.append(path)
    notebooks = [p for p in candidates if p.endswith(".ipynb")]
    modules = [p for p in candidates if not p.endswith(".ipynb")]
    members = {files.real[p] for p in modules} | set(files.callers(modules))
    for p in modules:
        members |= set(files.configured(p, enabled_rules(settings[p])))
    digests = {r: content_hash(files.data_of(r) or b"") for r in members}
    syntax_set = set(syntax_only)
    jobs = []
    done = []  # (keys, (results, deps)) of groups decided without a job
    single = [[p] for p in notebooks] + [[files.real[p]] for p in syntax_only]
    for group in files.groups(members) + single:
        checked = [files.display(r) for r in group if files.display(r) in datas]
        if not checked:
            continue
        signature = "|".join(f"{r}:{digests.get(r, '')}" for r in group)
        keys = {
            p: content_hash(datas[p] + settings[p].cache_key().encode() + signature.encode()) for p in checked
        }
        if cache is not None:
            hits = {p: cache.get(p, keys[p]) for p in checked}
            if all(h is not None and _deps_unchanged(h) for h in hits.values()):
                for p, hit in hits.items():
                    r = Result(p, [from_dict(d) for d in hit[0]])
                    r.error = from_dict(hit[1]) if hit[1] else None
                    results[p] = r
                continue
        if speedups and not group[0].endswith(".ipynb"):
            found, read_paths = files.graph.library_reach(group)
            if not found:
                # no TensorFlow or Keras in reach: as if the prefilter said no
                out = {p: decode_check(p, datas[p]) for p in checked}
                deps = {r: content_hash(files.data_of(r) or b"") for r in sorted(read_paths - set(group))}
                done.append((keys, (out, deps)))
                continue
        entries = []
        for r in group:
            path = files.display(r)
            is_checked = path in datas
            entries.append(
                Entry(
                    path,
                    files.data_of(r) or b"",
                    settings[path] if is_checked else _settings_of(settings),
                    is_checked,
                    analyse=path not in syntax_set,
                )
            )
        jobs.append((entries, keys))
    workers = _Workers()
    for entries, _ in jobs:
        workers.submit((entries, speedups))
    outs = []
    finished = itertools.chain(done, ((keys, r) for (_, keys), r in zip(jobs, workers.results())))
    for keys, (out, deps) in finished:
        outs.append((out, deps))
        for path, r in out.items():
            results[path] = r
            if cache is not None and not r.internal:
                cache.put(
                    path,
                    keys[path],
                    [[to_dict(d) for d in r.diagnostics], to_dict(r.error) if r.error else None, deps],
                )
    if cache is not None:
        if run_key is not None and not any(r.internal for r in results.values()):
            run_deps = {}
            for _, deps in outs:
                run_deps.update(deps)
            summary = {
                p: [[to_dict(d) for d in r.diagnostics], to_dict(r.error) if r.error else None]
                for p, r in results.items()
                if p in datas
            }
            cache.put(_RUN, run_key, [summary, run_deps])
        cache.save()
    return [results[p] for p in paths]


_RUN = "<last run>"  # the cache entry of a whole run's results


def _settings_of(settings: dict) -> Settings:
    """Settings for a caller that is only read (never reported)."""
    return next(iter(settings.values())) if settings else Settings()


def _deps_unchanged(hit) -> bool:
    from bnlint.run.cache import content_hash

    deps = hit[2] if len(hit) > 2 else {}
    for path, digest in deps.items():
        try:
            if content_hash(read(path)) != digest:
                return False
        except OSError:
            if digest is not None:
                return False
    return True

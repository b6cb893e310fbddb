"""The command line: ``bnlint check``, ``fix``, ``rule``, ``rules``, ``clean``.

Conventions follow ruff: ``path:line:col: CODE message``, exit 0 (clean),
1 (findings), 2 (usage, configuration or read errors, or a bug in bnlint).
"""

from __future__ import annotations

import difflib
import os
import sys
from collections import Counter

import click

from bnlint import __version__
from bnlint.output import FORMATS

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _codes(values) -> tuple[str, ...] | None:
    if not values:
        return None
    out = []
    for v in values:
        out.extend(c.strip().upper() for c in v.split(",") if c.strip())
    return tuple(out)


def _per_file(values):
    if not values:
        return None
    out = []
    for v in values:
        glob, sep, codes = v.rpartition(":")
        if not sep or not glob:
            raise click.BadParameter(f"expected GLOB:CODES, got {v!r}", param_hint="--per-file-ignores")
        out.append((glob, tuple(c.strip().upper() for c in codes.split(",") if c.strip())))
    return tuple(out)


def common_options(f):
    options = [
        click.option("--select", multiple=True, help="Rule codes or prefixes to enable (comma-separated)."),
        click.option(
            "--extend-select", multiple=True, help="Rule codes or prefixes to enable on top of the selection."
        ),
        click.option("--ignore", multiple=True, help="Rule codes or prefixes to disable."),
        click.option(
            "--per-file-ignores",
            "per_file_ignores",
            multiple=True,
            metavar="GLOB:CODES",
            help="Disable codes in files matching GLOB.",
        ),
        click.option(
            "--config", "config_path", type=click.Path(dir_okay=False), help="Use this configuration file."
        ),
        click.option("--isolated", is_flag=True, help="Ignore all configuration files."),
        click.option("--exclude", multiple=True, help="Replace the default excludes (globs)."),
        click.option("--extend-exclude", multiple=True, help="Add excludes (globs)."),
        click.option(
            "--force-exclude/--no-force-exclude",
            default=None,
            help="Apply excludes to files named on the command line too.",
        ),
        click.option(
            "--respect-gitignore/--no-respect-gitignore",
            default=None,
            help="Skip files that .gitignore ignores (default: on).",
        ),
        click.option("--stdin-filename", help="The file name for source read from stdin ('-')."),
        click.option(
            "--output-format", type=click.Choice(FORMATS), default=None, help="How to print findings."
        ),
        click.option(
            "--output-file", "-o", type=click.Path(dir_okay=False), help="Write findings to this file."
        ),
        click.option("--no-cache", is_flag=True, help="Do not read or write the cache."),
        click.option(
            "--cache-dir",
            type=click.Path(file_okay=False),
            help="Cache folder (default .bnlint_cache, or $BNLINT_CACHE_DIR).",
        ),
        click.option("--quiet", "-q", is_flag=True, help="Print findings only, no summary."),
        click.option("--verbose", "-v", is_flag=True, help="Say which configuration file is used."),
        click.option(
            "--unsafe-fixes",
            "unsafe_fixes",
            is_flag=True,
            default=None,
            help="Also apply (or count) unsafe fixes.",
        ),
        click.argument("paths", nargs=-1, type=click.Path()),
    ]
    for option in reversed(options):
        f = option(f)
    return f


class Run:
    """Everything one command invocation resolved from flags and config."""

    def __init__(self, opts: dict):
        from bnlint.run import config

        self.opts = opts
        self.overrides = {
            "select": _codes(opts["select"]),
            "extend_select": _codes(opts["extend_select"]),
            "ignore": _codes(opts["ignore"]),
            "per_file_ignores": _per_file(opts["per_file_ignores"]),
            "exclude": tuple(opts["exclude"]) or None,
            "extend_exclude": tuple(opts["extend_exclude"]) or None,
            "force_exclude": opts["force_exclude"],
            "respect_gitignore": opts["respect_gitignore"],
            "unsafe_fixes": opts["unsafe_fixes"],
        }
        for flag in ("select", "extend_select", "ignore"):
            bad = config.unknown_selectors(self.overrides[flag] or ())
            if bad:
                raise click.BadParameter(
                    f"names no rule: {', '.join(bad)}", param_hint=f"--{flag.replace('_', '-')}"
                )
        self.paths = list(opts["paths"]) or ["."]
        self._by_dir: dict[str, object] = {}
        explicit = opts["config_path"]
        if explicit and not os.path.isfile(explicit):
            raise config.ConfigError(f"{explicit}: no such configuration file")
        self.fixed_config = explicit
        first = None if opts["isolated"] else (explicit or config.find(self._anchor()))
        self.root_config = first
        self.root = config.settings_from(first, self.overrides)
        file_opts = config.file_options(first)
        self.output_format = opts["output_format"] or file_opts.get("output-format", "concise")
        if self.output_format not in FORMATS:
            raise config.ConfigError(f"{first}: unknown output-format `{self.output_format}`")
        self.cache_dir = opts["cache_dir"] or file_opts.get("cache-dir")
        if opts["verbose"]:
            click.echo(
                f"Using configuration from {first}"
                if first
                else "No configuration file found; using defaults",
                err=True,
            )

    def _anchor(self) -> str:
        p = self.paths[0]
        if p == "-":
            return self.opts["stdin_filename"] or "."
        return p

    def settings_for(self, path: str):
        """Settings of the nearest configuration above ``path``."""
        from bnlint.run import config

        if self.opts["isolated"] or self.fixed_config:
            return self.root
        folder = os.path.dirname(os.path.abspath(path))
        if folder not in self._by_dir:
            found = config.find(folder)
            self._by_dir[folder] = (
                self.root if found == self.root_config else config.settings_from(found, self.overrides)
            )
        return self._by_dir[folder]

    def discover(self):
        from bnlint.run.discovery import discover

        s = self.root
        return discover(
            [p for p in self.paths if p != "-"],
            exclude=s.exclude,
            extend_exclude=s.extend_exclude,
            force_exclude=s.force_exclude,
            respect_gitignore=s.respect_gitignore,
        )

    @property
    def names_files(self) -> bool:
        """Files named one by one (as pre-commit does): their projects'
        other files are read for the calls into them."""
        return any(os.path.isfile(p) for p in self.paths if p != "-")

    def cache(self):
        if self.opts["no_cache"]:
            return None
        from bnlint.run.cache import Cache, cache_dir

        return Cache(cache_dir(self.cache_dir), self.root.cache_key())

    def emit(self, text: str, err: bool = False) -> None:
        path = self.opts["output_file"]
        if path and not err:
            with open(path, "a", encoding="utf-8") as f:
                f.write(text)
        else:
            click.echo(text, nl=False, err=err, color=self.color if not err else None)

    @property
    def color(self) -> bool:
        if os.environ.get("NO_COLOR") or self.opts["output_file"]:
            return False
        return sys.stdout.isatty()


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_ERROR)


def _start(opts) -> Run:
    from bnlint.run.config import ConfigError

    try:
        run = Run(opts)
    except ConfigError as exc:
        _fail(str(exc))
    except click.BadParameter as exc:
        _fail(exc.format_message())
    if "-" in run.paths and not opts["stdin_filename"] and len(run.paths) > 1:
        _fail("'-' (stdin) cannot be combined with other paths")
    if opts["output_file"]:
        open(opts["output_file"], "w").close()
    return run


def _render(run: Run, diagnostics, sources) -> None:
    from bnlint.output import render
    from bnlint.output.env import Env

    env = Env(sources=sources, color=run.color)
    text = render(run.output_format, diagnostics, env)
    if text:
        run.emit(text)


def _statistics(run: Run, diagnostics) -> None:
    from bnlint.rules import BY_CODE

    counts = Counter(d.code for d in diagnostics)
    fixable = Counter(d.code for d in diagnostics if d.fix is not None)
    lines = []
    for code, n in counts.most_common():
        mark = "[*]" if fixable[code] else "   "
        rule = BY_CODE.get(code)
        lines.append(f"{n:>5}\t{code}\t{mark} {rule.name if rule else 'syntax-error'}\n")
    run.emit("".join(lines))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="bnlint", message="%(prog)s %(version)s")
def main() -> None:
    """bnlint: find and fix batch normalization that is not per channel."""
    # Deeply nested (generated) code is analysed recursively; Python 3.11
    # keeps such frames off the C stack, so a higher limit is safe.
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 20000))


def _collect(run: Run):
    """(results, whether any path could not be read) for a run's paths."""
    from bnlint.run.runner import check_files

    discovered = run.discover()
    error = False
    for path, reason in discovered.problems:
        click.echo(f"error: {path}: {reason}", err=True)
        error = True
    return check_files(discovered.files, run.settings_for, run.cache(), scan_importers=run.names_files), error


def _with_sources(results) -> dict:
    from bnlint.run.runner import read

    sources = {}
    for r in results:
        if r.diagnostics:
            try:
                sources[r.path] = read(r.path)
            except OSError:
                pass
    return sources


def _summary(run: Run, diagnostics) -> None:
    if run.opts["quiet"] or run.output_format not in ("concise", "full"):
        return
    if diagnostics:
        fixable = sum(1 for d in diagnostics if d.fix_applies(run.root.unsafe_fixes))
        noun = "problem" if len(diagnostics) == 1 else "problems"
        click.echo(f"Found {len(diagnostics)} {noun} ({fixable} fixable).")
        unsafe = sum(1 for d in diagnostics if d.fix is not None and d.fix.applicability == "unsafe")
        if unsafe and not run.root.unsafe_fixes:
            click.echo(
                f"{unsafe} hidden fix{'es' if unsafe != 1 else ''} can be enabled with the `--unsafe-fixes` option."
            )
    else:
        click.echo("All checks passed!")


@main.command()
@common_options
@click.option("--statistics", is_flag=True, help="Count findings per rule instead of listing them.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
def check(**opts):
    """Report batch norms that are not per channel."""
    run = _start(opts)
    error = False
    if run.paths == ["-"]:
        from bnlint.run.runner import lint_bytes

        name = opts["stdin_filename"] or "-"
        data = sys.stdin.buffer.read()
        from bnlint.analysis.project import Project

        # an editor's buffer: its project's modules are read from disk
        project = Project() if opts["stdin_filename"] else None
        result = lint_bytes(name, data, run.settings_for(name), project=project)
        results, sources = [result], {name: data}
    else:
        results, error = _collect(run)
        sources = None
    diagnostics = []
    for r in results:
        diagnostics.extend(r.diagnostics)
        if r.error is not None:
            diagnostics.append(r.error)
            if r.error.code in ("BN901", "BN902"):
                error = True
    diagnostics.sort(key=lambda d: (d.path, d.cell or 0, d.span[0], d.code))
    if sources is None:
        sources = _with_sources(results)
    if opts["statistics"]:
        _statistics(run, diagnostics)
    else:
        _render(run, diagnostics, sources)
        _summary(run, diagnostics)
    if error:
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_FINDINGS if diagnostics and not opts["exit_zero"] else EXIT_CLEAN)


@main.command()
@common_options
@click.option("--diff", is_flag=True, help="Print the changes as a unified diff; write nothing.")
def fix(**opts):
    """Rewrite batch norms into per-channel batch norm, in place."""
    from bnlint.fix.apply import FixError
    from bnlint.run.runner import check_files, fix_bytes, read
    from bnlint.run.writer import write_atomic

    run = _start(opts)
    error = False
    stdin = run.paths == ["-"]
    if stdin:
        name = opts["stdin_filename"] or "-"
        items = [(name, sys.stdin.buffer.read())]
    else:
        discovered = run.discover()
        for path, reason in discovered.problems:
            click.echo(f"error: {path}: {reason}", err=True)
            error = True
        items = []
        for path in discovered.files:
            try:
                items.append((path, read(path)))
            except OSError as exc:
                click.echo(f"error: {path}: cannot read file: {exc.strerror or exc}", err=True)
                error = True
    total_fixed, remaining, changed, sources = 0, [], 0, {}
    files = None
    if not stdin:
        from bnlint.run.linter import enabled_rules
        from bnlint.run.runner import ProjectFiles

        files = ProjectFiles({p: d for p, d in items if not p.endswith(".ipynb")}, run.names_files)

    def fix_one(path, data):
        """(new data, number fixed, result, whether it failed) for one file."""
        from bnlint.run.runner import lint_bytes

        settings = run.settings_for(path)
        project, callers = None, ()
        if files is not None and not path.endswith(".ipynb"):
            project = files.project
            feeding = {**files.callers([path]), **files.configured(path, enabled_rules(settings))}
            callers = tuple((p, files.data_of(r)) for r, p in sorted(feeding.items()))
        try:
            return (*fix_bytes(path, data, settings, project, callers), False)
        except FixError as exc:
            click.echo(f"error: {path}: bnlint bug: a fix was refused: {exc}", err=True)
        except Exception as exc:  # a notebook we cannot rewrite, a bug: keep going
            click.echo(f"error: {path}: {type(exc).__name__}: {exc}", err=True)
        return data, 0, lint_bytes(path, data, settings), True

    # One check of every file first: a file with nothing to fix costs no
    # per-file analysis of its project (the fix loop's rounds analyse a
    # file's whole group each time).
    pre = {}
    if not stdin:
        paths = [p for p, _ in items]
        pre = {
            r.path: r
            for r in check_files(paths, run.settings_for, run.cache(), scan_importers=run.names_files)
        }
    results, untouched = {}, []
    for path, data in items:
        unsafe = run.settings_for(path).unsafe_fixes
        if path in pre and not any(d.fix_applies(unsafe) for d in pre[path].diagnostics):
            results[path], sources[path] = pre[path], data
            untouched.append(path)
            continue
        new, fixed, result, failed = fix_one(path, data)
        error |= failed
        results[path] = result
        sources[path] = new
        total_fixed += fixed
        if new == data:
            if stdin:
                sys.stdout.buffer.write(data)
            continue
        changed += 1
        if stdin:
            sys.stdout.buffer.write(new)
        elif opts["diff"]:
            old_t = data.decode("utf-8", "replace").splitlines(keepends=True)
            new_t = new.decode("utf-8", "replace").splitlines(keepends=True)
            run.emit("".join(difflib.unified_diff(old_t, new_t, path, path)))
        else:
            write_atomic(path, new)
            if files is not None:
                files.update(path, new)
    if changed and untouched and not opts["diff"]:
        # their findings may have changed with the files this run rewrote
        for r in check_files(untouched, run.settings_for, run.cache(), scan_importers=run.names_files):
            results[r.path] = r
    # A finding reported at a call because its fix lies in a helper's file
    # that this run fixes too is that file's own: its turn fixed or kept it.
    from bnlint.analysis.project import real as real_path

    given = {real_path(p) for p, _ in items} if not stdin else set()
    for result in results.values():
        remaining.extend(
            d for d in result.diagnostics if d.fix_in is None or real_path(d.fix_in) not in given
        )
        if result.error is not None:
            remaining.append(result.error)
            if result.error.code in ("BN901", "BN902"):
                error = True
    remaining.sort(key=lambda d: (d.path, d.cell or 0, d.span[0], d.code))
    if opts["diff"]:
        if not opts["quiet"]:
            n = total_fixed
            click.echo(
                f"Would fix {n} problem{'s' if n != 1 else ''} in {changed} file{'s' if changed != 1 else ''}.",
                err=True,
            )
        sys.exit(EXIT_ERROR if error else (EXIT_FINDINGS if changed else EXIT_CLEAN))
    # messages stay off stdout when it carries code (stdin mode) or machine output
    out_err = stdin or run.output_format not in ("concise", "full")
    if not stdin:
        _render(run, remaining, sources)
    else:
        from bnlint.output.text import concise_line

        for d in remaining:
            click.echo(concise_line(d), err=True)
    if not opts["quiet"]:
        left = len(remaining)
        msg = f"Fixed {total_fixed} problem{'s' if total_fixed != 1 else ''}"
        msg += f" ({left} remaining)." if left else "; nothing left to report."
        click.echo(msg, err=out_err)
        unsafe = sum(1 for d in remaining if d.fix is not None and d.fix.applicability == "unsafe")
        if unsafe and not run.root.unsafe_fixes:
            click.echo(
                f"{unsafe} hidden fix{'es' if unsafe != 1 else ''} can be enabled with the `--unsafe-fixes` option.",
                err=out_err,
            )
    if error:
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_FINDINGS if remaining else EXIT_CLEAN)


@main.command()
@click.argument("code", required=False)
@click.option("--all", "show_all", is_flag=True, help="Print every rule's documentation.")
def rule(code, show_all):
    """Print a rule's documentation."""
    from bnlint.docs import doc_text
    from bnlint.rules import BY_CODE, RULES

    if show_all:
        click.echo("\n\n".join(doc_text(r.code) or r.summary for r in RULES))
        return
    if not code:
        _fail("give a rule code, or --all")
    r = BY_CODE.get(code.upper())
    if r is None:
        _fail(f"unknown rule {code!r}; `bnlint rules` lists them")
    click.echo(doc_text(r.code) or r.summary)


@main.command(name="rules")
def rules_cmd():
    """List the rules."""
    from bnlint.rules import RULES

    for r in RULES:
        default = "on " if r.default_enabled else "off"
        fix = r.fix_safety if r.fix_safety else "-"
        click.echo(f"{r.code}  {default}  fix:{fix:<6}  {r.name:<22} {r.summary}")


@main.command()
@click.option("--cache-dir", type=click.Path(file_okay=False))
def clean(cache_dir):
    """Remove the cache folder."""
    from bnlint.run.cache import cache_dir as resolve
    from bnlint.run.cache import clean as remove

    d = resolve(cache_dir)
    click.echo(f"Removed {d}" if remove(d) else f"No cache at {d}")

"""Finding the files to check: .py, .pyi and .ipynb, minus the usual
excludes and what .gitignore files ignore.  Files named on the command
line are always checked unless ``force_exclude`` is set."""

from __future__ import annotations

import fnmatch
import os
import re
import stat
from dataclasses import dataclass, field

SUFFIXES = (".py", ".pyi", ".ipynb")
DEFAULT_EXCLUDE = (
    ".bzr",
    ".direnv",
    ".eggs",
    ".git",
    ".git-rewrite",
    ".hg",
    ".ipynb_checkpoints",
    ".mypy_cache",
    ".nox",
    ".pants.d",
    ".pyenv",
    ".pytest_cache",
    ".pytype",
    ".ruff_cache",
    ".bnlint_cache",
    ".svn",
    ".tox",
    ".venv",
    ".vscode",
    "__pypackages__",
    "__pycache__",
    "_build",
    "buck-out",
    "build",
    "dist",
    "node_modules",
    "site-packages",
    "venv",
)


@dataclass
class Discovery:
    files: list[str] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)


class _GitIgnore:
    """The patterns of one .gitignore, matched relative to its folder."""

    def __init__(self, base: str, lines: list[str]):
        self.base = base
        self.rules: list[tuple[re.Pattern, bool, bool]] = []  # (regex, negate, dir_only)
        for raw in lines:
            line = raw.rstrip("\n").rstrip()
            if not line or line.startswith("#"):
                continue
            negate = line.startswith("!")
            if negate:
                line = line[1:]
            if line.startswith("\\"):
                line = line[1:]
            dir_only = line.endswith("/")
            line = line.rstrip("/")
            anchored = "/" in line
            line = line.lstrip("/")
            regex = _glob_to_regex(line)
            if not anchored:
                regex = "(?:.*/)?" + regex
            self.rules.append((re.compile(regex + r"(?:/.*)?\Z"), negate, dir_only))
        self.combined = None
        if self.rules and not any(neg for _, neg, _ in self.rules):
            self.combined = re.compile("|".join(f"(?:{r.pattern})" for r, _, _ in self.rules))

    def _file_rule(self, rel: str) -> bool:
        """A file is ignored by a rule that is not for directories only, or
        by a directory rule matching one of its folders."""
        return any(r.match(rel) and not (dir_only and "/" not in rel) for r, _, dir_only in self.rules)

    def match(self, rel: str, is_dir: bool) -> bool | None:
        if self.combined is not None:  # no negations: one regex decides
            return True if self.combined.match(rel) and (is_dir or self._file_rule(rel)) else None
        verdict = None
        for regex, negate, dir_only in self.rules:
            if dir_only and not is_dir and regex.match(rel) and "/" not in rel:
                continue
            if regex.match(rel):
                verdict = not negate
        return verdict


def _glob_to_regex(glob: str) -> str:
    out, i = [], 0
    while i < len(glob):
        c = glob[i]
        if glob.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if glob.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            j = glob.find("]", i)
            if j == -1:
                out.append(re.escape(c))
            else:
                out.append(glob[i : j + 1])
                i = j
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


class _Excludes:
    """Exclude globs: plain names by set lookup, the rest as regexes
    matched against the base name and the path."""

    def __init__(self, patterns):
        self.names = {p for p in patterns if not any(c in p for c in "*?[/")}
        self.globs = [re.compile(fnmatch.translate(p)) for p in patterns if p not in self.names] + [
            re.compile(fnmatch.translate("*/" + p.lstrip("/"))) for p in patterns if p not in self.names
        ]

    def __call__(self, path: str, whole: bool = False) -> bool:
        """Whether ``path`` is excluded; ``whole``: by any of its folders
        too (for paths named on the command line)."""
        if whole:
            parts = os.path.normpath(path).split(os.sep)
            return any(self(os.sep.join(parts[: i + 1])) for i in range(len(parts)))
        name = os.path.basename(path.rstrip(os.sep)) or path
        if name in self.names:
            return True
        if not self.globs:
            return False
        norm = path.replace(os.sep, "/")
        return any(g.match(name) or g.match(norm) for g in self.globs)


def _load_gitignore(folder: str) -> _GitIgnore | None:
    path = os.path.join(folder, ".gitignore")
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return _GitIgnore(folder, f.readlines())
    except OSError:
        return None


def _parent_gitignores(folder: str) -> list[_GitIgnore]:
    """.gitignore files of the folders above ``folder``, up to the repo root."""
    out = []
    cur = os.path.abspath(folder)
    while True:
        parent = os.path.dirname(cur)
        if parent == cur or os.path.exists(os.path.join(cur, ".git")):
            break
        cur = parent
        gi = _load_gitignore(cur)
        if gi:
            out.insert(0, gi)
    return out


def _ignored(path: str, is_dir: bool, stack: list[_GitIgnore]) -> bool:
    verdict = False
    absolute = os.path.abspath(path)
    for gi in stack:
        rel = os.path.relpath(absolute, gi.base).replace(os.sep, "/")
        if rel.startswith(".."):
            continue
        m = gi.match(rel, is_dir)
        if m is not None:
            verdict = m
    return verdict


def discover(paths, exclude=(), extend_exclude=(), force_exclude=False, respect_gitignore=True) -> Discovery:
    patterns = _Excludes((tuple(exclude) or DEFAULT_EXCLUDE) + tuple(extend_exclude))
    out = Discovery()
    seen: set[str] = set()

    def add(p: str, entry=None) -> None:
        # the same file reached twice (symlinks, overlapping arguments)
        try:
            st = entry.stat() if entry is not None else os.stat(p)
            key = (st.st_dev, st.st_ino)
        except OSError:
            key = os.path.realpath(p)
        if key not in seen:
            seen.add(key)
            out.files.append(os.path.normpath(p))  # "pkg/m.py", not "./pkg/m.py"

    for root in paths:
        try:
            st = os.stat(root)
        except OSError as exc:
            out.problems.append((root, exc.strerror or str(exc)))
            continue
        if stat.S_ISDIR(st.st_mode):
            stack = []
            if respect_gitignore:
                stack = _parent_gitignores(root)
                gi = _load_gitignore(root)
                if gi:
                    stack.append(gi)
            _walk(root, patterns, respect_gitignore, stack, add, out, set())
        elif stat.S_ISREG(st.st_mode):
            if force_exclude and patterns(root, whole=True):
                continue
            add(root)
        else:
            out.problems.append((root, "not a regular file or directory"))
    return out


def _walk(folder, patterns, respect_gitignore, stack, add, out, visiting) -> None:
    real = os.path.realpath(folder)
    if real in visiting:
        out.problems.append((folder, "symlink loop"))
        return
    visiting = visiting | {real}
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        out.problems.append((folder, exc.strerror or str(exc)))
        return
    for entry in entries:
        path = entry.path
        try:
            is_dir = entry.is_dir()
            is_file = entry.is_file()
        except OSError as exc:
            out.problems.append((path, exc.strerror or str(exc)))
            continue
        if patterns(path):
            continue
        if respect_gitignore and stack and _ignored(path, is_dir, stack):
            continue
        if is_dir:
            sub = stack
            if respect_gitignore:
                gi = _load_gitignore(path)
                if gi:
                    sub = stack + [gi]
            _walk(path, patterns, respect_gitignore, sub, add, out, visiting)
        elif entry.name.endswith(SUFFIXES):
            if is_file:
                add(path, entry)
            elif not os.path.exists(path):
                out.problems.append((path, "broken symlink"))
            else:
                out.problems.append((path, "not a regular file"))

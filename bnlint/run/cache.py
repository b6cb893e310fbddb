"""A results cache like ruff's: ``.bnlint_cache/`` keyed on file content,
bnlint version (and its code, for an editable install whose version stays
put while the code changes) and the effective settings.  One JSON file per settings
key, loaded once and written once per run."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import tempfile

from bnlint import __version__

DEFAULT_DIR = ".bnlint_cache"


def content_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def cache_dir(explicit: str | None = None) -> str:
    return explicit or os.environ.get("BNLINT_CACHE_DIR") or DEFAULT_DIR


@functools.cache
def _code_fingerprint() -> str:
    """Sizes and modification times of bnlint's own modules: a few dozen
    ``stat`` calls, so results of older code are never read back."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parts = []
    for folder, _, files in os.walk(root):
        for name in sorted(files):
            if name.endswith(".py"):
                st = os.stat(os.path.join(folder, name))
                parts.append(
                    f"{os.path.relpath(os.path.join(folder, name), root)}:{st.st_size}:{st.st_mtime_ns}"
                )
    return hashlib.blake2b("\n".join(sorted(parts)).encode(), digest_size=8).hexdigest()


class Cache:
    def __init__(self, directory: str, settings_key: str):
        self.directory = directory
        key = hashlib.blake2b(
            f"{__version__}|{_code_fingerprint()}|{settings_key}".encode(), digest_size=8
        ).hexdigest()
        self.path = os.path.join(directory, __version__, key + ".json")
        self.entries: dict[str, list] = {}
        self.dirty = False
        try:
            with open(self.path, encoding="utf-8") as f:
                loaded = json.load(f)
            if isinstance(loaded, dict):
                self.entries = loaded
        except (OSError, ValueError):
            pass

    def get(self, path: str, digest: str):
        entry = self.entries.get(os.path.abspath(path))
        if entry and entry[0] == digest:
            return entry[1]
        return None

    def put(self, path: str, digest: str, results) -> None:
        self.entries[os.path.abspath(path)] = [digest, results]
        self.dirty = True

    def save(self) -> None:
        if not self.dirty:
            return
        try:
            _prepare(self.directory)
            os.makedirs(os.path.dirname(self.path), exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=os.path.dirname(self.path), suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(self.entries, f, separators=(",", ":"))
            os.replace(tmp, self.path)
        except OSError:
            pass  # a cache that cannot be written is only slower


def _prepare(directory: str) -> None:
    os.makedirs(directory, exist_ok=True)
    tag = os.path.join(directory, "CACHEDIR.TAG")
    if not os.path.exists(tag):
        with open(tag, "w", encoding="utf-8") as f:
            f.write(
                "Signature: 8a477f597d28d172789f06886806bc55\n# This file is a cache directory tag created by bnlint.\n"
            )
    ignore = os.path.join(directory, ".gitignore")
    if not os.path.exists(ignore):
        with open(ignore, "w", encoding="utf-8") as f:
            f.write("*\n")


def clean(directory: str) -> bool:
    import shutil

    if os.path.isdir(directory):
        shutil.rmtree(directory)
        return True
    return False

"""``[tool.bnlint]`` in pyproject.toml: the nearest one above each checked
path, or the one ``--config`` names.  Keys are spelled as on the command
line (``extend-select``, ``per-file-ignores``, ...)."""

from __future__ import annotations

import dataclasses
import os
import tomllib

from bnlint.run.settings import Settings


class ConfigError(Exception):
    pass


_LISTS = {"select", "extend-select", "ignore", "exclude", "extend-exclude"}
_BOOLS = {"unsafe-fixes", "force-exclude", "respect-gitignore"}
_OTHER = {"per-file-ignores", "output-format", "cache-dir"}
KNOWN = _LISTS | _BOOLS | _OTHER


def unknown_selectors(codes) -> list[str]:
    """Selectors that are not a prefix of any rule code (nor ``ALL``)."""
    from bnlint.rules import RULES

    known = [r.code for r in RULES] + ["BN900", "BN901", "BN902"]
    return [c for c in codes if c != "ALL" and not any(k.startswith(c) for k in known)]


def load(path: str) -> tuple[dict, bool]:
    """(the [tool.bnlint] table, whether it exists) of a pyproject.toml,
    or of a bnlint.toml / .bnlint.toml (top-level keys)."""
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from exc
    if os.path.basename(path) == "pyproject.toml":
        tool = data.get("tool", {}).get("bnlint")
        return (tool or {}), tool is not None
    return data, True


def validate(path: str, table: dict) -> dict:
    out = {}
    for key, value in table.items():
        if key not in KNOWN:
            raise ConfigError(f"{path}: unknown key `{key}` in [tool.bnlint]")
        if key in _LISTS:
            if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
                raise ConfigError(f"{path}: `{key}` must be a list of strings")
            value = tuple(v.strip().upper() if "select" in key or key == "ignore" else v for v in value)
            if "select" in key or key == "ignore":
                bad = unknown_selectors(value)
                if bad:
                    raise ConfigError(f"{path}: `{key}` names no rule: {', '.join(bad)}")
        elif key in _BOOLS:
            if not isinstance(value, bool):
                raise ConfigError(f"{path}: `{key}` must be true or false")
        elif key == "per-file-ignores":
            if not isinstance(value, dict) or not all(
                isinstance(v, list) and all(isinstance(c, str) for c in v) for v in value.values()
            ):
                raise ConfigError(f"{path}: `per-file-ignores` must map globs to lists of codes")
            value = tuple((glob, tuple(c.upper() for c in codes)) for glob, codes in value.items())
        elif not isinstance(value, str):
            raise ConfigError(f"{path}: `{key}` must be a string")
        out[key] = value
    return out


def find(start: str) -> str | None:
    """The nearest config file above ``start`` that configures bnlint."""
    cur = os.path.abspath(start)
    if not os.path.isdir(cur):
        cur = os.path.dirname(cur)
    while True:
        for name in (".bnlint.toml", "bnlint.toml", "pyproject.toml"):
            candidate = os.path.join(cur, name)
            if os.path.isfile(candidate):
                _, present = load(candidate)
                if present:
                    return candidate
        parent = os.path.dirname(cur)
        if parent == cur:
            return None
        cur = parent


def settings_from(path: str | None, overrides: dict) -> Settings:
    """Settings from a config file (or none), with command-line values on top."""
    values = {}
    if path is not None:
        table, _ = load(path)
        values = validate(path, table)
    merged = {k.replace("-", "_"): v for k, v in values.items() if k not in ("output-format", "cache-dir")}
    for k, v in overrides.items():
        if v is not None:
            merged[k] = v
    fields = {f.name for f in dataclasses.fields(Settings)}
    return Settings(**{k: v for k, v in merged.items() if k in fields}, source=path)


def file_options(path: str | None) -> dict:
    """Options in the config file that are not per-file settings."""
    if path is None:
        return {}
    table, _ = load(path)
    values = validate(path, table)
    return {k: values[k] for k in ("output-format", "cache-dir") if k in values}

"""Effective settings of a run: which rules are on, and fix policy."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Settings:
    select: tuple[str, ...] | None = None  # None: the rules on by default
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    unsafe_fixes: bool = False
    exclude: tuple[str, ...] = ()
    extend_exclude: tuple[str, ...] = ()
    force_exclude: bool = False
    respect_gitignore: bool = True
    source: str | None = field(default=None, compare=False)  # config file used

    def enabled_codes(self, all_rules) -> frozenset[str]:
        def match(code, patterns):
            return any(p == "ALL" or code.startswith(p) for p in patterns)

        if self.select is None:
            on = {r.code for r in all_rules if r.default_enabled}
        else:
            on = {r.code for r in all_rules if match(r.code, self.select)}
        on |= {r.code for r in all_rules if match(r.code, self.extend_select)}
        # A more specific select beats a shorter ignore, as in ruff.
        out = set()
        for code in on:
            sel = max(
                (
                    len(p)
                    for p in (self.select or ()) + self.extend_select
                    if p != "ALL" and code.startswith(p)
                ),
                default=0,
            )
            ign = max((len(p) for p in self.ignore if p == "ALL" or code.startswith(p)), default=-1)
            if ign < 0 or sel > ign:
                out.add(code)
        return frozenset(out)

    def cache_key(self) -> str:
        return repr((self.select, self.extend_select, self.ignore, self.per_file_ignores, self.unsafe_fixes))

"""Every speed-up leaves the findings exactly as they were: the prefilters,
skipping unrelated functions, the cache, and the process pool."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from bnlint.diagnostics import to_dict
from bnlint.run import runner
from bnlint.run.cache import Cache
from bnlint.run.settings import Settings

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import corpus  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    corpus.build(str(root), files=160, model_share=0.3, seed=7)
    paths = sorted(str(p) for p in root.rglob("*.py"))
    paths += sorted(str(p) for p in FIXTURES.rglob("*.py") if not p.name.endswith(".fixed.py"))
    return paths


def _flat(results):
    return [
        (r.path, [to_dict(d) for d in r.diagnostics], to_dict(r.error) if r.error else None) for r in results
    ]


def _settings(_path):
    return Settings(extend_select=("BN006",))


def test_prefilter_pool_and_cache_change_nothing(files, tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "POOL_THRESHOLD", 10**9)
    baseline = _flat(runner.check_files(files, _settings, None, speedups=False))
    assert any(diags for _, diags, _ in baseline), "the corpus must have findings"

    assert _flat(runner.check_files(files, _settings, None, speedups=True)) == baseline

    monkeypatch.setattr(runner, "POOL_THRESHOLD", 2)
    assert _flat(runner.check_files(files, _settings, None)) == baseline

    cache = Cache(str(tmp_path / "cache"), Settings(extend_select=("BN006",)).cache_key())
    assert _flat(runner.check_files(files, _settings, cache)) == baseline
    warm = Cache(str(tmp_path / "cache"), Settings(extend_select=("BN006",)).cache_key())
    per_file = [k for k in warm.entries if not k.endswith(runner._RUN)]
    assert len(per_file) == len(files)
    assert _flat(runner.check_files(files, _settings, warm)) == baseline


def test_cache_is_keyed_on_content_and_settings(tmp_path):
    path = tmp_path / "m.py"
    path.write_text(
        "from tensorflow.keras import layers\n"
        "x = layers.Conv2D(8, 3, data_format='channels_first')(inp)\n"
        "x = layers.BatchNormalization()(x)\n"
    )
    cache_dir = str(tmp_path / "c")
    s1 = Settings()
    c = Cache(cache_dir, s1.cache_key())
    assert len(runner.check_files([str(path)], lambda p: s1, c)[0].diagnostics) == 1
    path.write_text(path.read_text().replace("BatchNormalization()", "BatchNormalization(axis=1)"))
    c = Cache(cache_dir, s1.cache_key())
    assert runner.check_files([str(path)], lambda p: s1, c)[0].diagnostics == []
    assert Cache(cache_dir, Settings(ignore=("BN003",)).cache_key()).entries == {}
    # a file whose own (nested) settings change is checked again
    s2 = Settings(ignore=("BN003",))
    c = Cache(cache_dir, s1.cache_key())
    path.write_text(path.read_text().replace("(axis=1)", "()"))
    assert runner.check_files([str(path)], lambda p: s2, c)[0].diagnostics == []


def test_cache_is_keyed_on_bnlint_code(tmp_path, monkeypatch):
    """An editable install keeps its version while its code changes: results
    of the old code are not read back."""
    from bnlint.run import cache as cache_module

    cache_dir = str(tmp_path / "c")
    c = Cache(cache_dir, Settings().cache_key())
    c.put(str(tmp_path / "m.py"), "digest", [])
    c.save()
    assert Cache(cache_dir, Settings().cache_key()).get(str(tmp_path / "m.py"), "digest") == []
    monkeypatch.setattr(cache_module, "_code_fingerprint", lambda: "changed")
    assert Cache(cache_dir, Settings().cache_key()).entries == {}


IMPORT_SPELLINGS = [
    "import os\nfrom a import b\n",
    "def f():\n    import tensorflow as tf\n    return tf\n",
    "class A:\n    def m(self):\n        if x:\n            from .ops import bn\n",
    "x = 1; import keras\n",
    "if x: import keras\n",
    "try:\n    import tf_slim as slim\nexcept ImportError:\n    slim = None\n",
    "import os\r\ndef f():\r\n    import keras\r\n",
    "s = '''\nimport not_code\n'''\nfrom b import c\n",
    "for i in range(3):\n    pass\nelse:\n    import keras\n",
]


@pytest.mark.parametrize("source", IMPORT_SPELLINGS)
def test_imports_found_by_text_are_every_import(source):
    """The index finds import statements by the lines that start one; it
    must find exactly what walking every statement finds, in that order."""
    import ast

    from bnlint.analysis.index import ModuleIndex, statements_in

    tree = ast.parse(source)
    every = [s for s in statements_in(tree.body) if isinstance(s, (ast.Import, ast.ImportFrom))]
    assert ModuleIndex(tree, source).imports == every

"""Python 2 files are read through a rewrite into Python 3 syntax that keeps
lines and, outside the rewritten tokens, columns."""

from __future__ import annotations

import ast

import pytest

from bnlint.python2 import as_python3
from bnlint.source import SourceFile

# (Python 2 line, the call whose position must survive)
STATEMENTS = [
    ('print "mean", tf.nn.moments(x, [0])', "tf.nn.moments"),
    ('print >>sys.stderr, "bn %d" % tf.rank(x)', "tf.rank"),
    ("print", None),
    ("print x,", None),
    ("if x: print y; z = tf.nn.moments(x, [0])", "tf.nn.moments"),
    ("for i in xrange(3): print i", None),
    ('exec "code" in ns', None),
    ("y = `x` + tf.nn.moments(x, [0])", "tf.nn.moments"),
    ("mode = 0755; m = tf.nn.moments(x, [0])", "tf.nn.moments"),
    ("n = 10L + tf.shape(x)", "tf.shape"),
    ("if a <> b: m = tf.nn.moments(x, [0])", "tf.nn.moments"),
    ('s = ur"abc"', None),
    ("print 'a', (b,\n   c)", None),
    ("try:\n    pass\nexcept ValueError, e:\n    m = tf.nn.moments(x, [0])", "tf.nn.moments"),
    ("try:\n    pass\nexcept (IOError, OSError), e:\n    pass", None),
    ('raise ValueError, "bad axis"', None),
    ('def f():\n    print("a call already")\n    print ("a tuple"), 1', None),
]


@pytest.mark.parametrize("code, call", STATEMENTS)
def test_rewrite_parses_and_keeps_positions(code, call):
    # some lines alone are Python 3 too (``print >>f, x`` is a tuple): the
    # first line makes the file Python 2
    code = 'print "python 2"\n' + code
    with pytest.raises(SyntaxError):
        ast.parse(code)
    rewritten = as_python3(code + "\n")
    assert rewritten is not None
    assert len(rewritten.text.splitlines()) == len(code.splitlines())
    source = SourceFile("m.py", (code + "\n").encode())
    tree = source.parse()
    assert source.python2
    if call is not None:
        node = next(n for n in ast.walk(tree) if isinstance(n, ast.Call) and source.segment(n.func) == call)
        (line, col), _ = source.span(node)
        assert code.splitlines()[line - 1][col:].startswith(call)


def test_tab_indentation_mixed_with_spaces():
    code = "def f(x):\n        y = 1\n\tm = tf.nn.moments(x, [0])\n        return m\n"
    source = SourceFile("m.py", code.encode())
    tree = source.parse()
    node = next(
        n for n in ast.walk(tree) if isinstance(n, ast.Call) and source.segment(n.func) == "tf.nn.moments"
    )
    assert source.span(node)[0] == (3, 5)
    assert source.segment(node) == "tf.nn.moments(x, [0])"


def test_python3_is_not_rewritten():
    source = SourceFile("m.py", b"print('a')\nm = tf.nn.moments(x, [0])\n")
    source.parse()
    assert not source.python2


@pytest.mark.parametrize(
    "code",
    [
        "def f(:\n    pass\n",  # broken in either language
        'print "a"\ndef f(:\n',  # Python 2, but broken there too
        "x = 08\n",  # not an octal in Python 2 either
    ],
)
def test_broken_code_keeps_its_first_error(code):
    with pytest.raises(SyntaxError) as first:
        ast.parse(code)
    with pytest.raises(SyntaxError) as raised:
        SourceFile("m.py", code.encode()).parse()
    assert raised.value.msg == first.value.msg and raised.value.lineno == first.value.lineno


def test_print_as_a_name_is_left_alone():
    """Code that is not a print statement is not made into a call."""
    rewritten = as_python3('print "x"\nprint.__doc__\nlog = print\n')
    assert rewritten is not None
    assert rewritten.text.splitlines()[1:] == ["print.__doc__", "log = print"]

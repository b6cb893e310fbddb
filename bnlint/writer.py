"""Safe writes: a temporary file in the same folder, renamed over the
original, with the original's permission bits; unchanged files are never
touched."""

from __future__ import annotations

import os
import stat
import tempfile


def write_atomic(path: str, data: bytes) -> bool:
    """Write ``data`` to ``path`` if it differs; True when written."""
    try:
        with open(path, "rb") as f:
            if f.read() == data:
                return False
    except OSError:
        pass
    mode = stat.S_IMODE(os.stat(path).st_mode)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".bnlint-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return True

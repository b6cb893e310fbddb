"""Safe writes that keep the file's identity.

A symlink is followed: the link's target is rewritten and the link stays a
link.  A file with several hard links is rewritten in place, so every name
keeps seeing the same inode.  Any other file is written atomically: a
temporary file in the same folder, renamed over the original, with the
original's permission bits.  Unchanged files are never touched."""

from __future__ import annotations

import os
import stat
import tempfile


def write_atomic(path: str, data: bytes) -> bool:
    """Write ``data`` to the file ``path`` names if it differs; True when
    written."""
    target = os.path.realpath(path)
    try:
        with open(target, "rb") as f:
            if f.read() == data:
                return False
    except OSError:
        pass
    st = os.stat(target)
    if st.st_nlink > 1:
        _write_in_place(target, data)
    else:
        _replace(target, data, stat.S_IMODE(st.st_mode))
    return True


def _write_in_place(target: str, data: bytes) -> None:
    # A rename would give this name a new inode and leave the other hard
    # links holding the old content.
    with open(target, "r+b") as f:
        f.write(data)
        f.truncate()
        f.flush()
        os.fsync(f.fileno())


def _replace(target: str, data: bytes, mode: int) -> None:
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(target), prefix=".bnlint-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise

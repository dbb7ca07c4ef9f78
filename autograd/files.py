"""Writing a file so that a crash never leaves half of it: the one way chainrule saves anything.

The bytes go to a temporary file beside the target (same folder, so the same file system), which
then replaces the target in one rename: a reader sees the old file or the new one, never a mix.
"""

from __future__ import annotations

import os
from pathlib import Path


def write_atomically(path: str | os.PathLike, data: bytes | str, *, fsync: bool = False) -> Path:
    """Write `data` (str as UTF-8) to `path` through a temporary file and a rename.

    The temporary name is unique (pid and a random part), and opening it with mode "x" keeps the
    usual permissions (the umask), which `tempfile.mkstemp` would narrow to the owner only.
    `fsync=True` also forces the bytes to disk before the rename (for saved models).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    raw = data.encode("utf-8") if isinstance(data, str) else data
    try:
        with open(tmp, "xb") as f:
            f.write(raw)
            if fsync:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path

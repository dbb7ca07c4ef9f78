"""Writing a file so that a crash never leaves half of it: the one way chainrule saves anything.

The bytes go to a temporary file beside the target (same folder, so the same file system), which
then replaces the target in one rename: a reader sees the old file or the new one, never a mix.
Saving over a file keeps what an ordinary overwrite keeps: its permissions, and a symbolic link
(the file it points to is replaced; the link stays). A writer killed between the two steps
(`kill -9`, a crash) leaves its temporary file behind: the next write of the target removes it.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
from pathlib import Path


def write_atomically(path: str | os.PathLike, data: bytes | str, *, fsync: bool = False) -> Path:
    """Write `data` (str as UTF-8) to `path` through a temporary file and a rename; return `path`.

    The temporary name is unique (pid and a random part), and opening it with mode "x" keeps the
    usual permissions (the umask) for a new file, which `tempfile.mkstemp` would narrow to the
    owner only; a file written over keeps its own. `fsync=True` (for saved models) also forces
    the bytes to disk before the rename, and the folder after it: the rename is an entry in the
    folder, which a power cut could otherwise undo.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    target = Path(os.path.realpath(path)) if path.is_symlink() else path  # write through links
    _remove_leftovers(target)
    mode = _permissions(target)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    raw = data.encode("utf-8") if isinstance(data, str) else data
    try:
        with open(tmp, "xb") as f:
            f.write(raw)
            if fsync:
                f.flush()
                os.fsync(f.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if fsync:
        _sync_folder(target.parent)
    return path


def _permissions(target: Path) -> int | None:
    """The permission bits of the file at `target`, or None if there is none.

    NOTE: only rwx for user, group and others, as an ordinary overwrite keeps them: writing to a
    file makes the system drop its set-user-ID and set-group-ID bits.
    """
    try:
        info = os.stat(target)
    except FileNotFoundError:
        return None
    return stat.S_IMODE(info.st_mode) & 0o777 if stat.S_ISREG(info.st_mode) else None


def _remove_leftovers(target: Path) -> None:
    """Remove the temporary files that earlier writes of `target` left behind, those whose pid
    is no running process. A live process's is never touched: it may be writing right now."""
    if os.name != "posix":  # NOTE: elsewhere os.kill(pid, 0) would end the process, not test it
        return
    ours = re.compile(rf"\.{re.escape(target.name)}\.(\d+)\.[0-9a-f]{{8}}\.tmp")
    with contextlib.suppress(OSError), os.scandir(target.parent) as entries:
        for entry in entries:
            match = ours.fullmatch(entry.name)
            if match and entry.is_file(follow_symlinks=False) and not _running(int(match[1])):
                with contextlib.suppress(OSError):  # gone already, or not ours to remove
                    os.unlink(entry.path)


def _running(pid: int) -> bool:
    """Whether some process has this pid: signal 0 is checked for but never sent."""
    if pid == 0:  # names our own process group: not a writer's pid
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OSError, OverflowError):  # PermissionError: another user's; or too big for a pid
        pass
    return True


def _sync_folder(folder: Path) -> None:
    """fsync a folder, so that its entries (a rename) are on disk. On POSIX only: elsewhere a
    folder cannot be opened."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

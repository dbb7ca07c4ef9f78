"""--out DIR: checked before any work, then written whole or not at all."""

from __future__ import annotations

import os

from chainrule.console import PROG, OutputError, UsageError
from chainrule.signals import SignalsHeld

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from pathlib import Path


def shown(path: str) -> str:
    """A path as an error names it: whole, or its two ends when it is very long."""
    return path if len(path) <= 100 else f"{path[:60]}...{path[-20:]} ({len(path):,} characters)"


class OutDir:
    """The folder named by --out, which gets the command's whole set of files or none of them.

    `OutDir.prepare` checks it before any work: it is a folder, or is missing and can be created
    (it is, at once, empty, with any missing parents), and a file can be made in it. `write` then
    makes the files in a fresh staging folder and moves them in:

    - into a folder this run created, by renaming the staging folder (made beside it) over the
      empty folder: one step, as POSIX rename replaces an empty directory, so the folder is
      empty or complete and never partial;
    - into a folder that was there before, by moving each file in with os.replace, from a
      staging folder made inside it (so on the same file system, even when the folder is a
      mount point). Each file is whole and the moves run with the stop signals held, but they
      are not one atomic step: a crash or SIGKILL amid them can leave some new files beside the
      previous run's.

    `discard` undoes it all when the command fails or is stopped: it removes the staging folder
    and the folders this run created. Only a crash or SIGKILL can leave the new, empty folder or
    a hidden `.chainrule-*.tmp` staging folder behind.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.shown = shown(str(path))
        self.created: list[Path] = []  # the folders this run made, outermost first
        self.staging: Path | None = None
        self.kept = False
        self.contents_on_stop = False  # the demo writes straight into the folder it created

    @classmethod
    def prepare(cls, value: str, names: Sequence[str] = (), *, direct: bool = False) -> OutDir:
        """Check --out before any work; `names` are the files the command writes into it, and
        `direct` says it writes them straight into the folder (unstaged: the demos), so that a
        stop removes them with a folder this run created. Raises UsageError saying what is
        wrong with the path, having created nothing."""
        from pathlib import Path

        if not value.strip():
            raise UsageError("--out needs a folder name, e.g. --out out/run1")
        out = cls(Path(value))
        out.contents_on_stop = direct
        try:
            with SignalsHeld():  # each folder made is recorded before a signal can stop us
                _unfinished.append(out)
                out._check(names)
        except BaseException:
            out.discard()
            raise
        return out

    def _check(self, names: Sequence[str]) -> None:
        path, problem = self.path, "cannot create this folder"
        try:
            if os.path.isdir(path):
                for name in names:
                    if os.path.isdir(path / name):
                        raise UsageError(f"--out {self.shown}: its {name} is a folder, where "
                                         f"{PROG} writes a file; move it or choose another folder")
            elif os.path.lexists(path):
                raise UsageError(f"--out {self.shown}: exists and is not a directory; choose "
                                 "another name (a missing folder is created)")
            else:
                self._create()
            problem = "cannot write in this folder"
            probe = path / f".chainrule-probe-{os.getpid()}-{os.urandom(4).hex()}"
            os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            os.remove(probe)
        except (OSError, ValueError) as e:  # ValueError: a NUL byte in the name
            raise UsageError(f"--out {self.shown}: {problem} ({self._reason(e)}); choose "
                             "another folder") from None

    def _create(self) -> None:
        """Make the folder and each missing parent, outermost first, recording each one."""
        missing = []
        folder = self.path
        while not os.path.lexists(folder) and folder != folder.parent:
            missing.append(folder)
            folder = folder.parent
        for folder in reversed(missing):
            os.mkdir(folder)
            self.created.append(folder)

    def _reason(self, e: OSError | ValueError) -> str:
        if not isinstance(e, OSError):
            return str(e)
        reason = e.strerror or str(e)
        if isinstance(e, NotADirectoryError):  # say which part of the path is a file
            for parent in self.path.parents:
                if os.path.lexists(parent) and not os.path.isdir(parent):
                    return f"{reason}: {shown(str(parent))} is a file"
        return reason

    def write(self, make: Callable[[Path], list[Path]]) -> list[Path]:
        """`make(folder)` writes the files into a fresh staging folder and returns their paths;
        then they are all moved into the --out folder. Returns their final paths. An OSError on
        the way (a full disk) becomes an OutputError, with nothing moved in."""
        name = f"chainrule-{os.getpid()}-{os.urandom(4).hex()}.tmp"
        if self.created:  # beside the new folder, to be renamed over it
            self.staging = self.path.parent / f".{self.path.name[:64]}.{name}"
        else:  # inside the folder that was there before
            self.staging = self.path / f".{name}"
        try:
            os.mkdir(self.staging)
            made = make(self.staging)
        except OSError as e:
            raise OutputError(f"--out {self.shown}: could not write the files "
                              f"({e.strerror or e}), so none was kept; free some space or "
                              "choose another folder") from e
        self._move_in(self.staging)
        return [self.path / path.name for path in made]

    def _move_in(self, staging: Path) -> None:
        with SignalsHeld():
            try:
                if not (self.created and self._rename_over_the_empty_folder(staging)):
                    for name in sorted(os.listdir(staging)):
                        os.replace(staging / name, self.path / name)
                    os.rmdir(staging)
            except OSError as e:
                raise OutputError(f"--out {self.shown}: could not move the finished files "
                                  f"into it ({e.strerror or e}); see what it holds") from e
            self.staging, self.kept = None, True

    def _rename_over_the_empty_folder(self, staging: Path) -> bool:
        try:
            os.replace(staging, self.path)
        except OSError:  # something appeared in it meanwhile: move the files one by one
            return False
        return True

    def keep(self) -> None:
        """Keep the folder as it is (the demo has written into it itself)."""
        self.kept = True

    def discard(self, *, contents: bool = False) -> None:
        """Unless the files were kept, remove the staging folder and the folders this run
        created, each only while it is empty; `contents=True` also removes what was written
        straight into the --out folder this run created (the demo's files)."""
        import shutil

        if self.kept:
            if self in _unfinished:
                _unfinished.remove(self)
            return
        with SignalsHeld():
            if self.staging is not None:
                shutil.rmtree(self.staging, ignore_errors=True)
                self.staging = None
            for folder in reversed(self.created):
                if contents and folder == self.path:
                    shutil.rmtree(folder, ignore_errors=True)
                try:
                    os.rmdir(folder)
                except OSError:  # gone already, or someone else's files are in it now
                    pass
            self.created = []
            if self in _unfinished:
                _unfinished.remove(self)


# Every OutDir prepared and neither kept nor discarded yet. A stop can land between two lines
# where no `finally` covers the folder (as `prepare` returns, before the command's `try`), so
# main discards these once more after a stop, with the signals quiet by then.
_unfinished: list[OutDir] = []


def discard_unfinished() -> None:
    """Discard every --out folder still open; main calls it after a stop, when no signal can cut
    it short any more."""
    for out in list(_unfinished):
        out.discard(contents=out.contents_on_stop)



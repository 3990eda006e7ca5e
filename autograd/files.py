"""Writing files atomically: the one helper that every file this project writes goes through."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path


def write_text_atomic(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` so that a reader sees the old file or the new one.

    The text goes to a temporary file in the same directory, is flushed and fsync'ed, and
    then replaces ``path`` in one ``os.replace``; the directory is fsync'ed so the rename
    survives a crash. On any error the temporary file is removed and ``path`` is untouched;
    an ``OSError`` (a read-only folder, a full disk...) is raised again, of the same type and
    errno, naming ``path`` rather than the temporary file. A new file gets mode 0o644; an
    existing one keeps its mode. A symlink is followed: the file it points to is replaced and
    the link stays. Returns the path written.
    """
    target = Path(os.path.realpath(path))  # through a symlink: replace the file it names
    directory = target.parent
    try:
        mode = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        mode = 0o644
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as e:
        raise _naming(e, target) from e
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException as e:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(e, OSError):
            raise _naming(e, target) from e
        raise
    _fsync_directory(directory)
    return target


def _naming(error: OSError, target: Path) -> OSError:
    """``error`` again, same type and errno, about ``target`` (not the temporary file)."""
    if error.errno is None:
        return type(error)(f"cannot write {target}: {error}")
    return type(error)(error.errno, error.strerror, str(target))


def _fsync_directory(directory: Path) -> None:
    """Make a rename durable (POSIX); a no-op where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)

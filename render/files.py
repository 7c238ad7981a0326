"""Files that are whole or absent: a crash never leaves a half-written file or output directory.

Standard library only (Blender's Python writes its manifests with it too).
"""

import errno
import hashlib
import os
import shutil
from contextlib import contextmanager
from pathlib import Path

from render.errors import UserError

# a write that failed for want of room: the CLI says "no space left on device while writing X"
DISK_FULL = (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC), errno.EFBIG)  # (no EDQUOT on Windows)


@contextmanager
def writing(path: Path):
    """Names `path` in a disk-full error raised inside (a bare ENOSPC names no file)."""
    try:
        yield
    except OSError as e:
        if e.errno in DISK_FULL:
            raise OSError(e.errno, e.strerror, str(path)) from None
        raise


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary name, then rename; on any failure the temporary file is removed."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        with writing(path), open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_atomic(path: Path, text: str) -> None:
    write_bytes_atomic(path, text.encode("utf-8"))


def plain_name(name: str, what: str) -> str:
    """A name that is one path component: it cannot lead out of the directory it is joined to."""
    if not name or name in (".", "..") or "/" in name or "\\" in name or "\0" in name:
        raise UserError(f"{what} must be a plain file name (letters, digits, '-', '_', '.'; not '.' or '..'), "
                        f"got '{name}'")
    return name


def inside(base: Path, *names: str) -> Path:
    """base/names..., refused unless it stays under base (written as given: '..' is not resolved away)."""
    path = Path(base).joinpath(*names)
    base_abs, path_abs = os.path.normpath(os.path.abspath(base)), os.path.normpath(os.path.abspath(path))
    if os.path.commonpath([base_abs, path_abs]) != base_abs or path_abs == base_abs:
        raise UserError(f"{path} is not inside {base}: refusing to write there")
    return path


def check_output_file(path: Path, flag: str) -> Path:
    """An output file's directory exists and the path is not a directory (before any work is done)."""
    path = Path(path)
    if path.is_dir():
        raise UserError(f"{flag} {path} is a directory; give a file name")
    if not path.parent.is_dir():
        raise UserError(f"{flag} {path}: the directory {path.parent} does not exist")
    return path


def check_new_dir(out: Path, flag: str = "--out") -> Path:
    """A tool's output directory must be new or empty: it is replaced when the tool ends, so an
    existing directory (the input's parent, a home directory) is never deleted by mistake."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise UserError(f"{flag} {out} is a file")
    if out.exists() and any(out.iterdir()):
        raise UserError(f"{flag} {out} is not empty; remove it or choose another directory")
    return out


def file_digest(path: Path) -> dict:
    """Size and SHA-256 of a file, as a frame's manifest records its outputs."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return {"bytes": os.path.getsize(path), "sha256": h.hexdigest()}


def _aside(out: Path) -> tuple[Path, Path]:
    return out.with_name(out.name + ".partial"), out.with_name(out.name + ".old")


def begin_partial(out: Path) -> Path:
    """A fresh `<out>.partial` directory to build an output in, before commit_partial.

    A commit cut short between its two renames left `<out>.old` and no `<out>`: it is put back.
    """
    tmp, old = _aside(Path(out))
    if old.is_dir():
        if Path(out).exists():
            shutil.rmtree(old)
        else:
            os.replace(old, out)
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    return tmp


def commit_partial(tmp: Path, out: Path) -> Path:
    """Replace `out` with the finished partial directory: two renames, so `out` is never half there."""
    out = Path(out)
    _, old = _aside(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.exists():
        shutil.rmtree(old, ignore_errors=True)  # a stale one would block the rename
        os.replace(out, old)
    os.replace(tmp, out)
    shutil.rmtree(old, ignore_errors=True)
    return out


@contextmanager
def building(out: Path):
    """`<out>.partial` to write into; renamed to `out` when the block ends, removed if it fails.

    The block may `raise` to refuse its result (a split that fails validation): `out` is kept.
    """
    tmp = begin_partial(out)
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    commit_partial(tmp, out)

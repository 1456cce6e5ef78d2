"""Keep every raw message as it arrived, addressed by its SHA-256.

Any message can then be re-read later with a better parser, and the same
message delivered twice is stored once. Files and folders are created
readable by the owner only: they hold applicants' personal data.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

# A kept message is <sha256>.eml in the folder named by its first two digits; a file being
# written is <sha256>.tmp<pid> beside it. A message streamed in pieces, whose SHA-256 is known only
# at the end, is written as 000...000.tmp<pid> until then (a leftover is swept like any other).
_FOLDER_NAME = re.compile(r"[0-9a-f]{2}")
_FILE_NAME = re.compile(r"[0-9a-f]{64}\.(eml|tmp[0-9]+)")


class RawStore:
    def __init__(self, root: str | Path):
        self.root = Path(root)

    def path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / f"{sha256}.eml"

    def put(self, data: bytes) -> str:
        """Store the bytes (once) and return their SHA-256."""
        sha = hashlib.sha256(data).hexdigest()
        target = self.path(sha)
        if _touched(target):
            return sha
        tmp = target.with_suffix(f".tmp{os.getpid()}")
        with _private_file(tmp) as fh:
            fh.write(data)
        # Rename is atomic: a crash leaves either no file or the whole file.
        os.replace(tmp, target)
        return sha

    def put_stream(self, pieces: Iterable[bytes]) -> str:
        """Store a message that arrives a piece at a time (one too large to hold in memory),
        and return its SHA-256: only one piece is held at once."""
        digest = hashlib.sha256()
        tmp = self.path("0" * 64).with_suffix(f".tmp{os.getpid()}")
        try:
            with _private_file(tmp) as fh:
                for piece in pieces:
                    digest.update(piece)
                    fh.write(piece)
            sha = digest.hexdigest()
            target = self.path(sha)
            if _touched(target):
                return sha
            if not target.parent.is_dir():
                _private_folders(target.parent)
            os.replace(tmp, target)
            return sha
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)

    def get(self, sha256: str) -> bytes:
        return self.path(sha256).read_bytes()

    def files_older_than(self, when: float) -> Iterator[Path]:
        """The store's files (kept messages, and any a crash left half-written) last written or
        touched before `when` (a POSIX time)."""
        if not self.root.is_dir():
            return
        for folder in sorted(self.root.iterdir()):
            if not (_FOLDER_NAME.fullmatch(folder.name) and folder.is_dir()):
                continue
            for entry in os.scandir(folder):
                # Only what the store itself names so: anything else put here is left alone.
                if not _FILE_NAME.fullmatch(entry.name):
                    continue
                with contextlib.suppress(FileNotFoundError):  # removed meanwhile
                    if entry.is_file(follow_symlinks=False) and entry.stat().st_mtime < when:
                        yield Path(entry.path)


def _touched(target: Path) -> bool:
    """Whether the message is kept already; if so its file is touched, so the sweep of files no
    record names, which spares recent ones, never takes one a record is about to name."""
    try:
        os.utime(target)
        return True
    except FileNotFoundError:
        return False


@contextlib.contextmanager
def _private_file(path: Path) -> Iterator:
    """A new file readable by the owner only (by the mode given here: the umask can only narrow
    it, and changing the umask would change it for the whole process), synced when the block ends."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags, 0o600)
    except FileNotFoundError:
        _private_folders(path.parent)
        fd = os.open(path, flags, 0o600)
    with open(fd, "wb") as fh:
        yield fh
        fh.flush()
        os.fsync(fh.fileno())


def _private_folders(folder: Path) -> None:
    """Make `folder` and any missing folder above it, readable by the owner only."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for f in reversed(missing):
        with contextlib.suppress(FileExistsError):  # made meanwhile by another process
            os.mkdir(f, 0o700)

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
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

# A kept message is <sha256>.eml in the folder named by its first two digits; a file being
# written is <sha256>.tmp<pid> beside it.
_FOLDER_NAME = re.compile(r"[0-9a-f]{2}")
_FILE_NAME = re.compile(r"[0-9a-f]{64}\.(eml|tmp[0-9]+)")


class Keeping:
    """A message being stored on the store's own thread."""

    def __init__(self, future: Future[str]) -> None:
        self._future = future

    def sha256(self) -> str:
        """Its SHA-256, once its file is safely on disk (raises what storing it raised)."""
        return self._future.result()


class RawStore:
    def __init__(self, root: str | Path):
        self.root = Path(root)
        self._thread: ThreadPoolExecutor | None = None

    def keep(self, data: bytes) -> Keeping:
        """`put` on the store's own thread, so the wait for the disk overlaps the caller's work.

        Writing a message through to the disk is mostly waiting, nearly a millisecond apiece;
        intake reads the message meanwhile, and asks for `sha256()` before it records it.
        """
        if self._thread is None:
            self._thread = ThreadPoolExecutor(1, thread_name_prefix="raw-store")
        return Keeping(self._thread.submit(self.put, data))

    def path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / f"{sha256}.eml"

    def put(self, data: bytes) -> str:
        """Store the bytes (once) and return their SHA-256."""
        sha = hashlib.sha256(data).hexdigest()
        target = self.path(sha)
        try:
            # Kept already. Touched, so the sweep of files no record names, which spares
            # recent ones, never takes a file a message being recorded now is about to name.
            os.utime(target)
            return sha
        except FileNotFoundError:
            pass
        # Private by the modes given here (the umask can only narrow them), not by changing the
        # umask: that is the whole process's, and this runs beside other threads.
        tmp = target.with_suffix(f".tmp{os.getpid()}")
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0)
        try:
            fd = os.open(tmp, flags, 0o600)
        except FileNotFoundError:
            # The folder is made when first needed; asking for it before every message of a
            # backlog cost a fifth of a millisecond apiece.
            _private_folders(target.parent)
            fd = os.open(tmp, flags, 0o600)
        with open(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        # Rename is atomic: a crash leaves either no file or the whole file.
        os.replace(tmp, target)
        return sha

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


def _private_folders(folder: Path) -> None:
    """Make `folder` and any missing folder above it, readable by the owner only."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for f in reversed(missing):
        with contextlib.suppress(FileExistsError):  # made meanwhile by another process
            os.mkdir(f, 0o700)

"""Keep every raw message as it arrived, addressed by its SHA-256.

Any message can then be re-read later with a better parser, and the same
message delivered twice is stored once. Files and folders are created
readable by the owner only: they hold applicants' personal data.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path


class RawStore:
    def __init__(self, root: str | Path):
        self.root = Path(root)

    def path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / f"{sha256}.eml"

    def put(self, data: bytes) -> str:
        """Store the bytes (once) and return their SHA-256."""
        sha = hashlib.sha256(data).hexdigest()
        target = self.path(sha)
        if target.exists():
            return sha
        old = os.umask(0o077)
        try:
            tmp = target.with_suffix(f".tmp{os.getpid()}")
            try:
                fh = open(tmp, "wb")  # noqa: SIM115 - closed by the `with` below
            except FileNotFoundError:
                # The folder is made when first needed; asking for it before every message of a
                # backlog cost a fifth of a millisecond apiece.
                target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                fh = open(tmp, "wb")  # noqa: SIM115
            with fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            # Rename is atomic: a crash leaves either no file or the whole file.
            os.replace(tmp, target)
        finally:
            os.umask(old)
        return sha

    def get(self, sha256: str) -> bytes:
        return self.path(sha256).read_bytes()

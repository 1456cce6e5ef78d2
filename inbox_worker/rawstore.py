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
            target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            tmp = target.with_suffix(f".tmp{os.getpid()}")
            with open(tmp, "wb") as fh:
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

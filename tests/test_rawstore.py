"""The raw-mail store: every message kept as it arrived, private, under its SHA-256."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from inbox_worker.store.rawstore import RawStore

MESSAGE = Path(__file__).parent / "fixtures" / "intake" / "01-protege-inline.eml"


def test_a_kept_message_is_on_disk_private_under_its_sha256(tmp_path: Path):
    """The file holds the message's bytes under their SHA-256; it and every folder made for it,
    even above the store's own, are readable by the owner only, whatever the umask."""
    raw = MESSAGE.read_bytes()
    store = RawStore(tmp_path / "data" / "raw-mail")
    old = os.umask(0o022)
    try:
        sha = store.put(raw)
    finally:
        os.umask(old)
    assert sha == hashlib.sha256(raw).hexdigest()
    path = store.path(sha)
    assert path.read_bytes() == raw == store.get(sha)
    assert path.stat().st_mode & 0o777 == 0o600
    for folder in (path.parent, tmp_path / "data" / "raw-mail", tmp_path / "data"):
        assert folder.stat().st_mode & 0o777 == 0o700, folder
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left


def test_the_same_message_twice_is_stored_once(tmp_path: Path):
    """Kept twice, whole or in pieces, a message is one file under one SHA-256."""
    raw = MESSAGE.read_bytes()
    store = RawStore(tmp_path)
    first, second = store.put(raw), store.put_stream(raw[i:i + 100] for i in range(0, len(raw), 100))
    assert first == second == hashlib.sha256(raw).hexdigest()
    assert len(list(tmp_path.rglob("*.eml"))) == 1
    assert [p for p in tmp_path.rglob("*") if ".tmp" in p.name] == []


def test_a_message_streamed_in_pieces_is_kept_whole_and_private(tmp_path: Path):
    """A message too large to hold is written a piece at a time: the file is the pieces joined,
    readable by the owner only, and no temporary file is left behind."""
    pieces = [bytes([n]) * 65536 for n in range(40)]
    store = RawStore(tmp_path / "raw")
    sha = store.put_stream(iter(pieces))
    assert store.get(sha) == b"".join(pieces)
    assert store.path(sha).stat().st_mode & 0o777 == 0o600
    assert [p.name for p in (tmp_path / "raw").rglob("*") if p.is_file()] == [f"{sha}.eml"]


def test_a_store_that_cannot_write_says_so(tmp_path: Path):
    """The error is the caller's to see (intake then retries the message), whole or streamed."""
    (tmp_path / "not-a-folder").write_text("a file where the store should be")
    store = RawStore(tmp_path / "not-a-folder")
    with pytest.raises(OSError):
        store.put(MESSAGE.read_bytes())
    with pytest.raises(OSError):
        store.put_stream([MESSAGE.read_bytes()])


def test_a_message_kept_again_is_touched_and_old_files_are_listed(tmp_path: Path):
    """Keeping a message already kept marks its file as just used; only files last used before
    the time asked (and half-written leftovers), named as the store names them, are listed."""
    raw = MESSAGE.read_bytes()
    store = RawStore(tmp_path)
    sha = store.put(raw)
    long_ago = 1_000_000_000
    os.utime(store.path(sha), (long_ago, long_ago))
    leftover = store.path("a" * 64).with_suffix(".tmp123")
    leftover.parent.mkdir(mode=0o700)
    leftover.write_bytes(b"half")
    os.utime(leftover, (long_ago, long_ago))
    for stray in (tmp_path / "notes.txt", leftover.parent / "notes.txt"):
        stray.write_text("not the store's")
        os.utime(stray, (long_ago, long_ago))
    listed = sorted(p.name for p in store.files_older_than(long_ago + 1))
    assert listed == sorted([f"{sha}.eml", leftover.name])

    assert store.put(raw) == sha
    assert store.path(sha).stat().st_mtime > long_ago + 1
    assert [p.name for p in store.files_older_than(long_ago + 1)] == [leftover.name]

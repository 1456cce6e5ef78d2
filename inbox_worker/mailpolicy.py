"""The email policy used to read and to build messages: policy.default, with parsed headers kept.

policy.default turns a header's text into an object every time the header is
read or set. A message is read many times on its way (each part's
Content-Type alone is asked for several times while it is walked), and most
of the headers of the emails the program sends are the same in every one
(From, Auto-Submitted, the parts' Content-Type and encoding). The parsed
objects are immutable and depend only on (name, value), so keeping them
changes nothing but the time: reading a message got a sixth faster, building
an email twice as fast. A value that is refused (a line break in a header) is
refused every time, since only results are kept.

Writing an email out re-tokenises every header to fold it, even one that is a
short line of plain ASCII, which `fold` gives back as it is. A header set from
such a value, and read back as that same value, is written as it is: turning
an acknowledgement into bytes got four times faster, byte for byte the same.

And the header registry makes a new class each time it parses a header (a
`type()` call, a tenth of the time of building an email); the class for a
name is now made once.
"""
from __future__ import annotations

import functools
from email.headerregistry import HeaderRegistry
from email.policy import EmailPolicy

# Long values (a References chain, a hostile header of a megabyte) are parsed each time,
# so each cache holds at most CACHE_SIZE short strings.
CACHE_SIZE = 2048
CACHE_MAX_CHARS = 500


class _KeepingRegistry(HeaderRegistry):
    # Per name: hostile mail can carry any number of header names, so the classes kept are bounded.
    @functools.lru_cache(maxsize=256)  # noqa: B019 - one registry for the process, never freed
    def __getitem__(self, name):
        return super().__getitem__(name)


class _KeepingPolicy(EmailPolicy):
    def header_fetch_parse(self, name, value):
        if hasattr(value, "name") or len(value) > CACHE_MAX_CHARS:
            return super().header_fetch_parse(name, value)
        return _fetched(self, name, value)

    def header_store_parse(self, name, value):
        if not isinstance(value, str) or len(value) > CACHE_MAX_CHARS:
            return super().header_store_parse(name, value)
        return _stored(self, name, value)

    def fold(self, name, value):
        return _as_it_is(self, name, value) or super().fold(name, value)

    def fold_binary(self, name, value):
        line = _as_it_is(self, name, value)
        return line.encode("ascii") if line else super().fold_binary(name, value)


@functools.lru_cache(maxsize=CACHE_SIZE)
def _fetched(policy: EmailPolicy, name: str, value: str):
    return EmailPolicy.header_fetch_parse(policy, name, value)


@functools.lru_cache(maxsize=CACHE_SIZE)
def _stored(policy: EmailPolicy, name: str, value: str):
    name, header = EmailPolicy.header_store_parse(policy, name, value)
    # Marked when the header reads back exactly as it was given: then its text is its source.
    if str(header) == value and _plain(value):
        header._inbox_worker_as_given = True
    return name, header


def _plain(text: str) -> bool:
    # No encoded word ("=?"), which `fold` would decode and write again in its own way.
    return text.isascii() and text.isprintable() and "=?" not in text


def _as_it_is(policy: EmailPolicy, name: str, value) -> str | None:
    """The header's line, when `fold` would only give back its value on one line; else None."""
    if not getattr(value, "_inbox_worker_as_given", False):
        return None
    text = str(value)
    if len(name) + 2 + len(text) > policy.max_line_length:
        return None
    return f"{name}: {text}{policy.linesep}"


POLICY = _KeepingPolicy(header_factory=_KeepingRegistry())

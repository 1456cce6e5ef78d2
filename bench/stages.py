"""Time spent per stage of the intake path, measured in the benchmark's own process.

The stage functions are wrapped where the worker looks them up (module
attributes and adapter methods), so production code carries no timing
hooks. Time is counted exclusively: a stage running inside another (the
template rendering inside a database transaction, say) is taken out of the
outer one, so the stages add up to no more than the wall time. Only the
thread that made the clock is timed (the worker's); calls from other
threads (the ones feeding the reading processes) are passed through.
"""
from __future__ import annotations

import contextlib
import functools
import threading
import time
from collections import defaultdict


class StageClock:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self._stack: list[list[float]] = []  # per open stage: [seconds spent in nested stages]
        self._thread = threading.get_ident()

    def _enter(self) -> float:
        self._stack.append([0.0])
        return time.perf_counter()

    def _leave(self, stage: str, began: float) -> None:
        elapsed = time.perf_counter() - began
        nested = self._stack.pop()[0]
        self.seconds[stage] += elapsed - nested
        self.calls[stage] += 1
        if self._stack:
            self._stack[-1][0] += elapsed

    def wrap(self, owner: object, name: str, stage: str) -> None:
        """Replace owner.name (a function or method) by a timed one."""
        inner = getattr(owner, name)

        @functools.wraps(inner)
        def timed(*args, **kwargs):
            if threading.get_ident() != self._thread:
                return inner(*args, **kwargs)
            began = self._enter()
            try:
                return inner(*args, **kwargs)
            finally:
                self._leave(stage, began)

        setattr(owner, name, timed)

    def wrap_context(self, owner: object, name: str, stage: str) -> None:
        """Replace owner.name (a context-manager method) by one that times its whole `with` block."""
        inner = getattr(owner, name)

        @functools.wraps(inner)
        @contextlib.contextmanager
        def timed(*args, **kwargs):
            if threading.get_ident() != self._thread:
                with inner(*args, **kwargs) as value:
                    yield value
                return
            began = self._enter()
            try:
                with inner(*args, **kwargs) as value:
                    yield value
            finally:
                self._leave(stage, began)

        setattr(owner, name, timed)

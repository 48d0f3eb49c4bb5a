"""GB18030 file bytes to UTF-8 bytes, on two cores when the file is large.

Polars parses only UTF-8, and Python's codecs are the only GB18030 decoder at hand (DuckDB's
``encodings`` extension must be downloaded; pyarrow and the system's iconv differ or go
through the same codec). Python's decode runs on one core with the interpreter lock held,
about 0.65 s (decode and re-encode) for a 115 MB court list, while the other core idles. So
a large file is cut in two at a line break (a GB18030 character never contains the byte
``\\n``, so each half decodes alone exactly as it does inside the whole) and a forked child
transcodes the second half into shared memory while this process does the first: the same
codec, the same strictness, the same text, in a bit more than half the time.

Where ``os.fork`` does not exist, or the file is small, both halves are done here.
"""

from __future__ import annotations

import mmap
import os
from typing import Final

PARALLEL_BYTES: Final = 8 << 20
"""Files below this size are transcoded in this process (a fork costs a few ms)."""
_LENGTH: Final = 8
"""Bytes at the start of the shared buffer holding the length of the child's output."""
_FAILED: Final = 1


def gb18030_to_utf8(data: bytes, *, parallel_from: int = PARALLEL_BYTES) -> bytes | None:
    """``data.decode("gb18030").encode("utf-8")``, or None when ``data`` is not strictly
    GB18030 (the caller then reads it the careful way).

    >>> gb18030_to_utf8("案号,姓名\\n(2019)鄂0902执1194号,张伟\\n".encode("gb18030")).decode()
    '案号,姓名\\n(2019)鄂0902执1194号,张伟\\n'
    >>> gb18030_to_utf8(b"\\xff\\xff") is None
    True
    """
    cut = data.find(b"\n", len(data) // 2) + 1
    if len(data) < parallel_from or not cut or not hasattr(os, "fork"):
        return _transcode(memoryview(data))
    view = memoryview(data)
    head, tail = view[:cut], view[cut:]
    # the UTF-8 of GB18030 text is at most 1.5 times as long (2 bytes -> at most 3)
    shared = mmap.mmap(-1, _LENGTH + len(tail) * 3 // 2 + 1)
    try:
        try:
            child = os.fork()
        except OSError:
            return _transcode(view)
        if child == 0:  # pragma: no cover - runs in the child, which coverage does not see
            _child(tail, shared)
        try:
            first = _transcode(head)
        finally:
            _, status = os.waitpid(child, 0)
        if first is None or not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
            return None
        length = int.from_bytes(shared[:_LENGTH], "little")
        with memoryview(shared) as second:  # joined straight from the shared pages
            return b"".join((first, second[_LENGTH : _LENGTH + length]))
    finally:
        shared.close()


def _transcode(data: memoryview) -> bytes | None:
    try:
        return str(data, "gb18030").encode("utf-8")
    except UnicodeDecodeError:
        return None


def _child(tail: memoryview, shared: mmap.mmap) -> None:  # pragma: no cover - in the child
    """Transcode ``tail`` into ``shared`` and exit: never return into the caller's code."""
    status = _FAILED
    try:
        out = _transcode(tail)
        if out is not None:
            shared[:_LENGTH] = len(out).to_bytes(_LENGTH, "little")
            shared[_LENGTH : _LENGTH + len(out)] = out
            status = 0
    finally:
        os._exit(status)

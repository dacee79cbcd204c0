"""Messages between the controller and a worker, read from their pipe in bulk.

`Connection.recv` reads one message with two system calls (its length, then
its bytes) and a few layers of Python, and the reader polls again for the
next. With quick documents a worker's outcomes gather in its pipe while the
controller naps, about ten at a time, and the controller queues several
tasks on a worker at once: one read takes them all here. The frames are
multiprocessing's own (`Connection.send_bytes`), so both ends keep sending
with `send_message` and can still be read with `Connection.recv`.
"""

from __future__ import annotations

import os
import pickle
from typing import Any

READ_BYTES = 65536
"""A pipe's usual capacity: what a worker can have written before it waits."""


class PipeReader:
    """Reads pickled messages from one end of a pipe, by its descriptor."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._buffer = bytearray()

    def read(self) -> list[Any]:
        """One read of what the pipe holds (it waits for the other end when
        the pipe is empty), and the messages it completes, in the order sent.
        A message cut in two waits in the buffer for the rest. EOFError when
        the other end is closed and nothing is left.
        """
        chunk = os.read(self._fd, READ_BYTES)
        if not chunk:
            raise EOFError("the other end of the pipe is closed")
        buffer = self._buffer
        buffer += chunk
        messages = []
        start, end = 0, len(buffer)
        while end - start >= 4:
            size = int.from_bytes(buffer[start : start + 4], "big", signed=True)
            header = 4
            if size == -1:  # over 2 GiB: the length follows in 8 bytes
                if end - start < 12:
                    break
                size = int.from_bytes(buffer[start + 4 : start + 12], "big")
                header = 12
            if end - start - header < size:
                break
            body = start + header
            messages.append(pickle.loads(buffer[body : body + size]))
            start = body + size
        del buffer[:start]
        return messages

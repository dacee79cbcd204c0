"""multiprocessing's forkserver, forked from `docpool run` itself.

multiprocessing starts its forkserver as a new interpreter: `docpool run`
had started for 43 ms before it did, and the server then started Python,
imported multiprocessing and only then pypdf, so the first document began
0.21 s after launch against 0.13 s for a plain loop over the same
processor. A fork of the command, taken while it is still one thread with
nothing open, skips the second start-up: the first document begins 0.16 s
after launch (BENCHMARKS.md, fifteenth round). On the shared corpus, whose
ideal is its longest document alone, that start is most of docpool's gap.

multiprocessing has no public way to adopt a server it did not start, so
this fills in the four fields of its `ForkServer` that `ensure_running`
would, and only where they are the ones this code knows (Python 3.11 to
3.13); anywhere else it starts nothing and says so, and the caller starts
the server the usual way. It is the one module that reaches into
multiprocessing's internals.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
import threading
from typing import NoReturn

from tui.stop_signals import STOP_SIGNALS

KNOWN_FIELDS = frozenset(
    {
        "_forkserver_address",
        "_forkserver_alive_fd",
        "_forkserver_pid",
        "_inherited_fds",
        "_lock",
        "_preload_modules",
    }
)
"""`ForkServer`'s fields in the Pythons this was written against. Another
set (3.14 adds an authentication key) means another protocol: not adopted."""

KNOWN_MAIN_ARGUMENTS = ("listener_fd", "alive_r", "preload", "main_path", "sys_path")


def fork_worker_server(preload: list[str]) -> bool:
    """Fork a forkserver that imports `preload` and adopt it as multiprocessing's.

    Call it first thing, before any thread starts. Returns False when it did
    not start one (not Linux, threads running, an unknown multiprocessing, a
    failed fork): the caller then starts the usual one.
    """
    if sys.platform != "linux" or not (3, 11) <= sys.version_info[:2] <= (3, 13):
        return False
    if threading.active_count() != 1:
        return False  # a fork would copy locks other threads hold
    address = f"\0docpool-forkserver-{os.getpid()}-{os.urandom(8).hex()}"
    listener = socket.socket(socket.AF_UNIX)
    try:
        listener.bind(address)
        listener.listen()
        alive_r, alive_w = os.pipe()
    except OSError:
        listener.close()
        return False
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()  # or the child would hold, and may write, a copy
        except (OSError, ValueError, AttributeError):
            pass
    # Blocked across the fork, so that the child is deaf from its first
    # instant: a stop signal to the whole job then waits, and the child
    # discards it once it ignores it; the parent gets its own on unblocking.
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        pid = os.fork()
    except OSError:
        pid = -1
    if pid == 0:
        _serve(listener, alive_r, alive_w, preload, mask)  # never returns
    signal.pthread_sigmask(signal.SIG_SETMASK, mask)
    listener.close()
    os.close(alive_r)
    if pid < 0:
        os.close(alive_w)
        return False
    if not _adopt(address, alive_w, pid, preload):
        os.close(alive_w)  # the child exits once it sees the pipe closed
        return False
    return True


def _adopt(address: str, alive_w: int, pid: int, preload: list[str]) -> bool:
    """Make `pid` multiprocessing's forkserver, as `ensure_running` would have."""
    from multiprocessing import forkserver

    server = forkserver._forkserver
    main = forkserver.main.__code__
    if (
        set(vars(server)) != KNOWN_FIELDS
        or main.co_varnames[: main.co_argcount] != KNOWN_MAIN_ARGUMENTS
        or main.co_kwonlyargcount
    ):
        return False
    with server._lock:
        if server._forkserver_pid is not None:
            return False
        server._preload_modules = list(preload)
        server._forkserver_address = address
        server._forkserver_alive_fd = alive_w
        server._forkserver_pid = pid
    return True


def _serve(
    listener: socket.socket, alive_r: int, alive_w: int, preload: list[str], mask: set[int]
) -> NoReturn:
    """The child: import what every worker needs, then serve forks until the
    command that forked it is gone (multiprocessing's own server loop).

    Deaf to Ctrl+C, hang-ups and SIGTERM, like the usual server: those reach
    the whole job, and the controller stops the batch in order.
    """
    code = 1
    try:
        os.close(alive_w)  # the parent's end: while any copy is open it never ends
        for signum in STOP_SIGNALS:
            signal.signal(signum, signal.SIG_IGN)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)  # as the command had it
        for name in preload:
            try:
                __import__(name)
            except ImportError:
                pass  # as multiprocessing's preload: the worker's import will say why
        from multiprocessing import forkserver

        forkserver.main(listener.fileno(), alive_r, [])
    except SystemExit:
        code = 0  # the command is gone
    finally:
        os._exit(code)

"""How worker processes are started: by a forkserver that has already imported pypdf.

Kept apart from the pool, and light to import, so that `docpool run` can start
the forkserver first thing and let its import of pypdf (0.1 s) run beside the
controller's own imports instead of after them.
"""

from __future__ import annotations

import signal
import threading
from typing import TYPE_CHECKING

from tui.stop_signals import STOP_SIGNALS

if TYPE_CHECKING:
    import multiprocessing.context

PRELOAD = ["tui.worker", "pypdf"]
"""What every worker imports, once, in the server they are forked from."""


def start_worker_server() -> None:
    """`docpool run`'s first step: the server forked from the command itself
    (`tui.forked_server`), or where that cannot be, the usual one."""
    from tui.forked_server import fork_worker_server

    if not fork_worker_server(PRELOAD):
        prepare_process_start()


def prepare_process_start() -> multiprocessing.context.BaseContext:
    """Start multiprocessing's helper processes while stdio are real files, and
    return the context the workers start from (a pool calls it too: a second
    call finds the helpers running).

    Inside a Textual app `sys.stdout` has no file descriptor, and starting the
    forkserver then fails with "bad value(s) in fds_to_keep". Started early,
    the helper serves every later pool.
    """
    context = worker_context()
    if context.get_start_method() == "forkserver":
        start_helpers()
    return context


def start_helpers() -> None:
    """Start the forkserver and resource tracker deaf to Ctrl+C, hang-ups and SIGTERM.

    A dropped ssh connection or Ctrl+C signals the whole job; a helper that
    died of it (Ctrl+C while the forkserver is still importing) would take
    every worker with it before the controller could stop the batch in order.
    Ignored signals survive exec, so the helpers keep ignoring them (and
    Python in them installs no KeyboardInterrupt); they still exit when the
    controller is gone (their pipe from it closes), and the workers re-enable
    SIGTERM for themselves.
    """
    from multiprocessing import forkserver, resource_tracker

    if threading.current_thread() is not threading.main_thread():
        resource_tracker.ensure_running()
        forkserver.ensure_running()
        return
    saved = {signum: signal.signal(signum, signal.SIG_IGN) for signum in STOP_SIGNALS}
    try:
        resource_tracker.ensure_running()
        forkserver.ensure_running()
    finally:
        for signum, handler in saved.items():
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)


def worker_context() -> multiprocessing.context.BaseContext:
    """Forkserver: children start from a clean single-threaded server, not from a
    controller that is running threads (Textual's, the discovery counter)."""
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    if "forkserver" in methods:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD)
        return context
    return multiprocessing.get_context("spawn")

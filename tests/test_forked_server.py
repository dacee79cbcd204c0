"""The forkserver forked from `docpool run` itself: adopted by multiprocessing,
serving workers like the usual one, and never left behind."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from test_recovery import ROOT, wait_for
from tui.pool import live_processes

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or not (3, 11) <= sys.version_info[:2] <= (3, 13),
    reason="the server is only forked on Linux with Python 3.11 to 3.13",
)


def run_script(body: str) -> dict:
    """Run `body` in a fresh interpreter (one thread, no forkserver yet); it
    prints one JSON object as its last line."""
    script = textwrap.dedent(body)
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_workers_start_from_the_forked_server_deaf_to_stop_signals_and_it_ends_with_the_command():
    found = run_script(
        """
        import json, os, psutil
        from tui.forked_server import fork_worker_server
        from tui.process_start import PRELOAD, prepare_process_start

        adopted = fork_worker_server(PRELOAD)
        from multiprocessing import forkserver
        server = forkserver._forkserver._forkserver_pid
        import signal, time
        for signum in (signal.SIGINT, signal.SIGHUP, signal.SIGTERM):  # what reaches a whole job
            os.kill(server, signum)
        time.sleep(0.2)
        context = prepare_process_start()  # what a pool does: it must find ours running
        child = context.Process(target=time.sleep, args=(2,))
        child.start()
        worker_parent = psutil.Process(child.pid).ppid()
        child.join(30)
        print(json.dumps({
            "adopted": adopted, "server": server, "exitcode": child.exitcode,
            "worker_parent": worker_parent,
            "still_ours": forkserver._forkserver._forkserver_pid,
            "server_command": psutil.Process(server).cmdline(),
            "our_command": psutil.Process().cmdline(),
            "server_parent": psutil.Process(server).ppid(), "us": os.getpid(),
        }))
        """
    )
    assert found["adopted"] is True
    assert found["server_parent"] == found["us"]
    assert found["server_command"] == found["our_command"]  # a fork, not a new interpreter
    assert found["exitcode"] == 0
    assert found["worker_parent"] == found["server"] == found["still_ours"]
    wait_for(lambda: live_processes([found["server"]]) == [], 10, "the server to end with the command")


def test_with_threads_running_nothing_is_forked():
    found = run_script(
        """
        import json, threading, psutil
        from tui.forked_server import fork_worker_server

        stop = threading.Event()
        threading.Thread(target=stop.wait).start()
        adopted = fork_worker_server(["json"])
        children = psutil.Process().children()
        stop.set()
        print(json.dumps({"adopted": adopted, "children": len(children)}))
        """
    )
    assert found == {"adopted": False, "children": 0}


def test_a_multiprocessing_it_does_not_know_is_left_to_start_its_own():
    """A ForkServer with other fields (as Python 3.14's) is not filled in:
    the forked child exits by itself and multiprocessing starts the usual one."""
    found = run_script(
        """
        import json, os, time, psutil
        from multiprocessing import forkserver
        forkserver._forkserver._forkserver_authkey = None  # a field this code does not know
        from tui.forked_server import fork_worker_server

        adopted = fork_worker_server(["json"])
        forked = [child.pid for child in psutil.Process().children()]
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and any(
            psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
            for pid in forked
        ):
            time.sleep(0.05)
        alive = [
            pid for pid in forked
            if psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
        ]
        print(json.dumps({
            "adopted": adopted, "forked": len(forked), "alive": alive,
            "server": forkserver._forkserver._forkserver_pid,
        }))
        """
    )
    assert found == {"adopted": False, "forked": 1, "alive": [], "server": None}

"""Processors that misbehave on purpose, chosen by the document's file name."""

from __future__ import annotations

import ctypes
import os
import sys
import time
from pathlib import Path


class Unprintable(Exception):
    def __str__(self) -> str:
        raise RuntimeError("cannot describe myself")


_kept: list[bytearray] = []


def by_name(path: Path) -> dict:
    """Fail in the way the file's name asks for; otherwise succeed."""
    name = path.stem
    if name.startswith("raise"):
        raise ValueError(f"asked to fail: {path.name}")
    if name.startswith("assert"):
        assert False, "malformed on purpose"
    if name.startswith("hang"):
        time.sleep(3600)
    if name.startswith("nap"):
        path.with_suffix(".started").touch()
        time.sleep(1.0)
    if name.startswith("exit"):
        os._exit(3)
    if name.startswith("segv"):
        ctypes.string_at(0)
    if name.startswith("alloc"):
        hoard = []
        while True:
            hoard.append(bytearray(64 * 1024 * 1024))
    if name.startswith("badstr"):
        raise Unprintable()
    if name.startswith("nan"):
        return {"ratio": float("nan"), "pages": 1}
    if name.startswith("negpages"):
        return {"pages": -5}
    if name.startswith("local"):
        class Local(dict):
            pass
        return Local(pages=1, words=("a", "b"))
    if name.startswith("leak"):
        _kept.append(bytearray(150 * 1024 * 1024))  # a processor that never lets go
    if name.startswith("print"):
        print("noise on stdout " * 100)
        print("noise on stderr " * 100, file=sys.stderr)
        os.write(1, b"raw noise on fd 1\n")
        os.write(2, b"raw noise on fd 2\n")
    return {"pid": os.getpid(), "pages": 1}


def slow(path: Path) -> dict:
    """Take a while, and say who did the work and when."""
    started = time.time()
    time.sleep(0.3)
    return {"pid": os.getpid(), "start": started, "end": time.time(), "pages": 1}


def pid(path: Path) -> dict:
    return {"pid": os.getpid(), "pages": 1}


def siblings(path: Path) -> dict:
    """Say how many worker processes the batch has: under the forkserver, every
    worker is a child of the same server, and nothing else is."""
    import psutil

    workers = len(psutil.Process(os.getppid()).children())
    return {"pid": os.getpid(), "workers": workers, "pages": 1}


def hang(path: Path) -> dict:
    time.sleep(3600)
    return {}


MARKS_VARIABLE = "DOCPOOL_TEST_MARKS"


def mark(path: Path) -> dict:
    """Note the document's start in the file that $DOCPOOL_TEST_MARKS names, then work a little.

    Lines are appended with O_APPEND in one write each, so the workers'
    lines never mix; the marks survive a kill of the controller.
    """
    marks = os.environ.get(MARKS_VARIABLE)
    if marks:
        descriptor = os.open(marks, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(descriptor, f"{os.getpid()}\t{path.name}\n".encode("utf-8", "surrogateescape"))
        finally:
            os.close(descriptor)
    time.sleep(float(os.environ.get("DOCPOOL_TEST_SECONDS", "0.002")))
    return {"pid": os.getpid(), "pages": 1}


def inflate(path: Path) -> dict:
    """Inflate every Flate stream in the file with no limit, as a careless parser would."""
    import re
    import zlib

    data = path.read_bytes()
    total = 0
    for match in re.finditer(rb"stream\r?\n", data):
        try:
            total += len(zlib.decompressobj().decompress(data[match.end():]))
        except zlib.error:
            continue  # not a Flate stream
    return {"pid": os.getpid(), "pages": 1, "inflated": total}


def names_a_text_file(path: Path) -> dict:
    """Write a file where the text processor would, and name it as the text processor does.

    The batch folder is `in` and the output `out` beside it (the forkserver
    keeps the environment it started with, so neither can be passed there).
    """
    target = path.parent.parent / "out" / (path.name + ".txt")
    target.write_text("written by the processor itself")
    return {"text_file": str(target), "pages": 1}


def stalls_mid_write(path: Path) -> dict:
    """Start writing the text file as the `text` processor does, then hang.

    The output folder is taken to be `out` beside the input folder, as the
    tests lay them out; the timeout then kills the worker mid-write.
    """
    from tui.atomic import open_atomically
    from tui.processors import STAGING_FOLDER, text_output_path

    output = path.parent.parent / "out"
    with open_atomically(text_output_path(output, path.name), staging=output / STAGING_FOLDER) as file:
        file.write("half of it")
        file.flush()
        time.sleep(3600)
    return {}


def blocks_the_report(path: Path) -> dict:
    """Put a file where $DOCPOOL_TEST_REPORT_FOLDER is, so the report cannot be written there."""
    import shutil

    folder = Path(os.environ["DOCPOOL_TEST_REPORT_FOLDER"])
    shutil.rmtree(folder, ignore_errors=True)
    folder.write_text("in the way")
    return {"pages": 1}

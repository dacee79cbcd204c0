"""The `docpool` command: `docpool [FOLDER]` opens the app, `docpool run FOLDER` runs headless.

Kept light: only argparse (and the few lines that hold stop signals until a
batch can take them) is imported before the arguments are understood, so
`docpool --help` answers at once; the engine, pypdf and Textual load after.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from tui import stop_signals

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

DESCRIPTION = """\
Process every PDF under FOLDER with a pool of worker processes, show the
progress live, and write a summary report (report.json, report.csv,
report.md) when the batch ends, however it ends.

  docpool [FOLDER]        open the terminal app (FOLDER preselected)
  docpool run FOLDER      run headless, for scripts, cron and pipes
"""

EXIT_CODES = """\
exit codes (docpool run):
  0    every document succeeded
  1    at least one document failed, or the report could not be written
  2    bad usage or setup (folder not found, output not writable...)
  130  interrupted (Ctrl+C, SIGTERM, SIGHUP); the report is still written
"""


def whole_number(minimum: int):
    """An argparse type: a whole number of at least `minimum`."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}: {text}")
        return value

    return parse


def path_argument(text: str) -> Path:
    """An argparse type: a path, but not an empty one (an unset `$OUT` must not
    mean the current folder)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("empty path")
    return Path(text)


positive_int = whole_number(1)
non_negative_int = whole_number(0)


def positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be more than 0 seconds: {text}")
    return value


def add_batch_options(parser: argparse.ArgumentParser) -> None:
    """The options the app and the headless command share."""
    cpus = os.cpu_count() or 1
    parser.add_argument(
        "-w", "--workers", type=positive_int, default=None, metavar="N",
        help=f"most worker processes, each started when a document needs it "
        f"(default: the number of CPUs, {cpus})",
    )
    parser.add_argument(
        "-o", "--output", type=path_argument, default=None, metavar="DIR",
        help="where text, journal and report go (default: ./docpool-out)",
    )
    parser.add_argument(
        "--report", type=path_argument, default=None, metavar="PATH",
        help="the JSON report's path (a .json name); the CSV and Markdown reports go beside "
        "it under the same name (default: OUTPUT/report.json)",
    )
    parser.add_argument(
        "--timeout", type=positive_seconds, default=None, metavar="SECONDS",
        help="stop a document that runs longer than this (default: 120)",
    )
    parser.add_argument(
        "--processor", default=None, metavar="NAME",
        help="text (extract text and metadata, the default), info (metadata only), "
        "or module:function (your own: takes a path, returns a JSON-able dict)",
    )
    parser.add_argument(
        "--memory-limit", type=non_negative_int, default=None, metavar="MB",
        help="memory cap per worker in MiB, at least 64; a document that needs more fails "
        "with 'memory' (default: half the RAM shared among the CPUs; 0: no cap)",
    )
    parser.add_argument(
        "--retries", type=non_negative_int, default=1, metavar="N",
        help="retry a document that timed out, crashed its worker or hit the memory cap "
        "(default: 1)",
    )
    parser.add_argument(
        "--resume", action="store_true",
        help="continue an earlier run in the same output folder: skip documents already "
        "recorded with the same size and modification time (and whose text file is still "
        "there); documents no longer in the folder are left out of the report",
    )
    parser.add_argument(
        "--overwrite", action="store_true",
        help="start again over an output folder that holds an earlier run: remove its "
        "journal and the text files it recorded first; also write into an output folder "
        "that holds other files, or over a --report file docpool did not write",
    )
    parser.add_argument(
        "--follow-symlinks", action="store_true",
        help="follow symbolic links to files and folders (loops are still safe)",
    )


def app_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="docpool",
        description=DESCRIPTION,
        epilog="Run 'docpool run --help' for the headless command.\n\n" + EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("folder", nargs="?", type=path_argument, help="folder of PDFs to preselect")
    add_batch_options(parser)
    parser.add_argument("--version", action="version", version=f"docpool {_version()}")
    return parser


def run_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="docpool run",
        description="Process every PDF under FOLDER headless and write the report.",
        epilog=EXIT_CODES
        + "\nprogress modes:\n"
        "  auto   a one-line bar on a terminal, a plain line every few seconds otherwise\n"
        "  bar    the one-line bar (on stderr)\n"
        "  lines  a plain line every few seconds, and one per failed document (stderr)\n"
        "  json   one JSON object per line on stderr, a few a second and one at the end\n"
        "  none   nothing but the final summary\n",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("folder", type=path_argument, help="folder of PDFs (searched recursively)")
    add_batch_options(parser)
    parser.add_argument(
        "--progress", choices=("auto", "bar", "lines", "json", "none"), default="auto",
        help="how to show progress (default: auto)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    stop_signals.catch_early()
    open_closed_standard_streams()
    arguments = sys.argv[1:] if argv is None else argv
    if arguments[:1] == ["run"]:
        options = run_parser().parse_args(arguments[1:])
        if options.folder.is_dir():
            _start_worker_server()
        from tui.headless import run_headless

        code = run_headless(options)
        _spare_the_exit_a_collection()
        return code
    options = app_parser().parse_args(arguments)
    from tui.app import run_app

    return run_app(
        options.folder,
        workers=options.workers,
        output=options.output,
        report=options.report,
        timeout=options.timeout,
        processor=options.processor,
        memory_limit=megabytes(options.memory_limit),
        retries=options.retries,
        resume=options.resume,
        overwrite=options.overwrite,
        follow_symlinks=options.follow_symlinks,
    )


def _start_worker_server() -> None:
    """Start the process that forks the workers now, so its import of pypdf
    runs beside the controller's own imports and checks instead of after them.
    A run that stops at a check leaves it to exit with the controller."""
    from tui.process_start import start_worker_server

    start_worker_server()


def _spare_the_exit_a_collection() -> None:
    """The batch is over and all it wrote is closed: let Python exit without
    collecting garbage among every object still alive, which took 11 of the
    17 ms between the summary and the shell prompt (BENCHMARKS.md, fifteenth
    round). The standard streams are still flushed at exit."""
    import gc

    gc.freeze()


def open_closed_standard_streams() -> None:
    """Point a closed stdin, stdout or stderr (`2>&-`) at /dev/null.

    Otherwise the next file docpool opens takes its number, and whatever is
    written to that stream lands in it (the journal, a worker's pipe).
    """
    for descriptor, name in ((0, "stdin"), (1, "stdout"), (2, "stderr")):
        try:
            os.fstat(descriptor)
            continue
        except OSError:
            pass
        opened = os.open(os.devnull, os.O_RDWR)
        if opened != descriptor:
            os.dup2(opened, descriptor)
            os.close(opened)
        mode = "r" if descriptor == 0 else "w"
        setattr(sys, name, open(descriptor, mode, closefd=False, encoding="utf-8"))


def megabytes(value: int | None) -> int | None:
    """--memory-limit is in MiB; the engine takes bytes (0 stays 0: no cap)."""
    return None if value is None else value * 1024 * 1024


def _version() -> str:
    from tui import __version__

    return __version__

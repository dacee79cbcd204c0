"""The least a pool of processes can do per document: one message each way.

    python benchmarks/bare_pool.py FOLDER -o OUT [-w 2] [--batch 1]

Each worker has its own pipe holding its running task and the next one (as
docpool's do), and is started by a forkserver that has imported pypdf (as
docpool's are). The controller only walks the folder, hands out paths and
reads results: no journal, no report, no ETA, no timeouts, no progress, no
JSON check of a result. Whatever any pool that isolates each document in a
worker process and hears of each one as it ends must pay, this pays; the
rest of docpool's overhead is what it adds on top (benchmarks/pool_floor.py).
"""

from __future__ import annotations

import argparse
import itertools
import multiprocessing
import sys
import time
import warnings
from multiprocessing.connection import wait
from pathlib import Path

TASKS_PER_WORKER = 2


def serve(connection, folder: str, output: str) -> None:
    from tui.processors import extract_text

    warnings.simplefilter("ignore")
    folder_path, output_path = Path(folder), Path(output)
    while (paths := connection.recv()) is not None:
        results = []
        for path in paths:
            try:
                data = extract_text(Path(path), folder=folder_path, output=output_path)
                results.append((path, True, data.get("pages", 0)))
            except Exception as error:  # noqa: BLE001 - a failure is a result too
                results.append((path, False, type(error).__name__))
        connection.send(results)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("folder", type=Path)
    parser.add_argument("-o", "--output", type=Path, required=True)
    parser.add_argument("-w", "--workers", type=int, default=2)
    parser.add_argument("--depth", type=int, default=TASKS_PER_WORKER,
                        help="messages queued on each worker, the running one included "
                        f"(default {TASKS_PER_WORKER}, as docpool for slow documents; docpool "
                        "queues up to 16 quick ones)")
    parser.add_argument("--nap", type=float, default=0.0,
                        help="seconds the controller sleeps before it reads results, so that "
                        "several gather (docpool naps up to 0.01 s with quick documents)")
    parser.add_argument("--batch", type=int, default=1,
                        help="documents per message each way (default 1; more is what "
                        "batching would buy, at the cost of knowing which document a "
                        "crashed worker was running)")
    options = parser.parse_args(argv)
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["pypdf"])
    from tui.discover import iter_documents

    paths = (d.path for d in iter_documents(options.folder, exclude=options.output))
    workers, load = [], {}
    for _ in range(options.workers):
        ours, theirs = context.Pipe()
        context.Process(target=serve, args=(theirs, str(options.folder), str(options.output)),
                        daemon=True).start()
        theirs.close()
        workers.append(ours)
        load[ours] = 0
    done = failed = 0
    exhausted = False
    while True:
        for connection in workers:
            while not exhausted and load[connection] < options.depth:
                batch = list(itertools.islice(paths, options.batch))
                if len(batch) < options.batch:
                    exhausted = True
                if not batch:
                    break
                connection.send(batch)
                load[connection] += 1
        if exhausted and not any(load.values()):
            break
        if options.nap:
            time.sleep(options.nap)
        for connection in wait([c for c in workers if load[c]]):
            while True:
                results = connection.recv()
                load[connection] -= 1
                done += len(results)
                failed += sum(not ok for _, ok, _ in results)
                if not (options.nap and load[connection] and connection.poll()):
                    break  # without a nap, one message per wake-up, as before
    for connection in workers:
        connection.send(None)
    print(f"{done} documents, {failed} failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The app under load: event-loop lag and keypress latency while 10,000 tiny documents run.

    python benchmarks/app_load.py [-n 10000] [--processor noop --processor text] [--runs 1]

Target: "processing 10,000 tiny documents, the event loop's lag stays under
100 ms at the 99th percentile and a keypress is handled within 100 ms."

The real `DocpoolApp` runs headless (`run_test`, 120x40) on a folder of N
one-page PDFs (`make_corpus --tiny`), with `trivial:noop` (the flood: documents
end as fast as the pool can hand them out) and with the default `text`
processor. The batch is started as a user would: Enter on the start screen.
Meanwhile, in the same process:

- Event-loop lag: a task on the app's loop sleeps 10 ms in a loop; each
  wake-up's lag is how much later than asked it woke (actual - 10 ms). Reported
  as p50/p99/max over the wake-ups, plus the time spent in stalls over 100 ms
  (percentiles over wake-ups under-count long stalls: few wake-ups happen in them).
- Keypress latency: every 0.5 s a thread (as the terminal driver's input
  thread does) posts a `p` key event through the driver, and the time runs
  until `RunScreen.action_toggle_pause` has run (wrapped to note the moment);
  right away a second `p` resumes the batch, timed the same way. This is the
  user's "key event posted -> handler run", without `pilot.press`'s own waits
  for the app to go idle. Also reported: to the next frame composed after the
  handler ran (what the user would see change).

Headless Textual composes each frame but skips turning it into escape
sequences; the benchmark does that step too (`render_segments`, output
discarded) so that a terminal's rendering cost is counted on the loop.

The foreign-load sampler runs in a child process (it walks /proc, about 10 ms
of Python a second, which would otherwise show up as lag). Before each timed
run the script waits until none of the lead benchmarks (speed, eta_accuracy,
memory) runs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    PYTHON, WORK, ForeignLoad, docpool, env, fmt, fresh, percentile, save, timed,
)
from make_corpus import ensure_corpus  # noqa: E402

SIZE = (120, 40)
TICK_SECONDS = 0.010
PRESS_EVERY_SECONDS = 0.5
OTHER_BENCHMARKS = "benchmarks/(speed|eta_accuracy|memory)"
PROCESSORS = {"noop": "trivial:noop", "text": "text"}
TARGET_MS = 100.0


# Foreign load, measured from a child process.


def watch_foreign(root: int) -> int:
    """The child's side: sample until stdin closes, then print the share."""
    with ForeignLoad(root) as load:
        sys.stdin.read()
    print(json.dumps({"foreign_load": load.share}), flush=True)
    return 0


class ForeignLoadChild:
    """Context manager: a child process samples the foreign load meanwhile."""

    def __enter__(self) -> "ForeignLoadChild":
        self.share: float | None = None
        self._process = subprocess.Popen(
            [PYTHON, __file__, "--foreign-of", str(os.getpid())],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env(),
        )
        return self

    def __exit__(self, *exc) -> None:
        out, _ = self._process.communicate("", timeout=30)
        try:
            self.share = json.loads(out.strip().splitlines()[-1])["foreign_load"]
        except (ValueError, IndexError, KeyError):
            self.share = None


def others_running() -> list[str]:
    out = subprocess.run(["pgrep", "-af", OTHER_BENCHMARKS], capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if str(os.getpid()) != line.split()[0]]


def wait_until_quiet(poll: float = 5.0) -> float:
    """Wait while another benchmark runs; return the seconds waited."""
    started = time.perf_counter()
    said = False
    while others := others_running():
        if not said:
            print(f"waiting for other benchmarks to end: {others[0]}", flush=True)
            said = True
        time.sleep(poll)
    return time.perf_counter() - started


# Figures.


def summary_ms(values: list[float]) -> dict:
    ms = [v * 1000 for v in values]
    return {
        "count": len(ms),
        "p50_ms": percentile(ms, 50),
        "p90_ms": percentile(ms, 90),
        "p99_ms": percentile(ms, 99),
        "max_ms": max(ms) if ms else None,
        "mean_ms": statistics.fmean(ms) if ms else None,
    }


def lag_figures(samples: list[tuple[float, float]], started: float) -> dict:
    lags = [lag for _, lag in samples]
    figures = summary_ms(lags)
    figures["over_50ms"] = sum(lag > 0.05 for lag in lags)
    figures["over_100ms"] = sum(lag > 0.1 for lag in lags)
    figures["stalled_over_100ms_s"] = sum(lag for lag in lags if lag > 0.1)
    worst = sorted(samples, key=lambda s: -s[1])[:10]
    figures["worst"] = [{"at_s": round(at - started, 3), "lag_ms": round(lag * 1000, 1)}
                        for at, lag in worst]
    return figures


def line(name: str, figures: dict) -> str:
    return (f"{name}: p50 {fmt(figures['p50_ms'], 1)} ms, p99 {fmt(figures['p99_ms'], 1)} ms, "
            f"max {fmt(figures['max_ms'], 1)} ms ({figures['count']} samples)")


# The measurement.


class LagProbe:
    """A task on the app's loop: sleep 10 ms, note how late the wake-up was."""

    def __init__(self) -> None:
        self.samples: list[tuple[float, float]] = []
        self._task: asyncio.Task | None = None

    async def _run(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(TICK_SECONDS)
            now = time.perf_counter()
            self.samples.append((now, now - before - TICK_SECONDS))

    def start(self) -> None:
        self.samples = []
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        assert self._task is not None
        self._task.cancel()
        try:
            await self._task
        except asyncio.CancelledError:
            pass


class KeyPresser(threading.Thread):
    """Every PRESS_EVERY_SECONDS: `p` (pause) then `p` (resume), each timed from
    posting the key event to the handler having run."""

    def __init__(self, app, finished: threading.Event) -> None:
        super().__init__(daemon=True)
        self.app = app
        self.finished = finished
        self.handled = threading.Event()
        self.handled_at = 0.0
        self.presses: list[tuple[float, float]] = []
        """(posted, handled) per press."""
        self.unhandled = 0
        self.error: str = ""

    def on_handled(self) -> None:
        """Called by the wrapped action, on the loop's thread."""
        self.handled_at = time.perf_counter()
        self.handled.set()

    def _press(self) -> bool:
        from textual import events

        key = events.Key("p", "p")
        key.set_sender(self.app)
        self.handled.clear()
        posted = time.perf_counter()
        self.app._driver.send_message(key)
        while not self.handled.wait(0.05):
            if self.finished.is_set():
                self.unhandled += 1
                return False
        self.presses.append((posted, self.handled_at))
        return True

    def run(self) -> None:
        try:
            while not self.finished.wait(PRESS_EVERY_SECONDS):
                if self._press():  # pause
                    self._press()  # resume
        except Exception as error:  # noqa: BLE001 - stderr is the app's while it runs
            self.error = f"{type(error).__name__}: {error}"


async def scenario(folder: Path, output: Path, processor: str, workers: int, keys: bool = True) -> dict:
    from rich.console import Console
    from textual._compositor import CompositorUpdate

    from tui.app import DocpoolApp
    from tui.screens.run import RunScreen

    app = DocpoolApp(folder, workers=workers, output=output, processor=processor,
                     overwrite=True, cpu_count=os.cpu_count())
    finished = threading.Event()
    presser = KeyPresser(app, finished)
    frames: list[float] = []
    sink = Console(file=open(os.devnull, "w"), force_terminal=True, color_system="truecolor",
                   width=SIZE[0], height=SIZE[1], legacy_windows=False)
    original_display = app._display
    original_toggle = RunScreen.action_toggle_pause

    def display(screen, renderable) -> None:
        original_display(screen, renderable)
        if renderable is None:
            return
        if isinstance(renderable, CompositorUpdate):
            sink.file.write(renderable.render_segments(sink))  # what a terminal would be sent
        frames.append(time.perf_counter())

    def toggle_pause(self) -> None:
        original_toggle(self)
        presser.on_handled()

    app._display = display  # type: ignore[method-assign]
    RunScreen.action_toggle_pause = toggle_pause  # type: ignore[method-assign]
    probe = LagProbe()
    result: dict = {}
    try:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause(1.0)  # the start screen counts the folder
            probe.start()
            await asyncio.sleep(3.0)
            await probe.stop()
            idle = lag_figures(probe.samples, probe.samples[0][0] if probe.samples else 0)
            with ForeignLoadChild() as load:
                started = time.perf_counter()
                ui_cpu, controller_cpu = time.thread_time(), time.process_time()
                probe.start()
                await pilot.press("enter")  # Start is focused: a folder was given
                screen = app.screen
                assert isinstance(screen, RunScreen), type(screen)
                if keys:
                    presser.start()
                while screen.finished is None and not screen.crashed:
                    await asyncio.sleep(0.05)
                ended = time.perf_counter()
                ui_cpu = time.thread_time() - ui_cpu
                controller_cpu = time.process_time() - controller_cpu
                finished.set()
                await probe.stop()
            if keys:
                presser.join(5)
            result["crashed"] = screen.crashed
            event = screen.finished
    finally:
        RunScreen.action_toggle_pause = original_toggle  # type: ignore[method-assign]
        sink.file.close()
    totals = event.snapshot.totals if event is not None else None
    done = (totals.succeeded + totals.failed + totals.skipped) if totals else 0
    handled = [h - p for p, h in presser.presses]
    to_frame = []
    frame_index = 0
    for posted, handled_at in presser.presses:
        while frame_index < len(frames) and frames[frame_index] < handled_at:
            frame_index += 1
        if frame_index < len(frames):
            to_frame.append(frames[frame_index] - posted)
    result.update({
        "processor": processor,
        "status": event.status if event is not None else None,
        "documents": done,
        "succeeded": totals.succeeded if totals else 0,
        "failed": totals.failed if totals else 0,
        "wall_s": ended - started,
        "docs_per_s": done / (ended - started),
        "frames": len(frames),
        "ui_thread_cpu_s": ui_cpu,
        "controller_cpu_s": controller_cpu,
        "foreign_load": load.share,
        "idle_lag": idle,
        "lag": lag_figures(probe.samples, started),
        "keypress_to_handler": summary_ms(handled),
        "keypress_to_frame": summary_ms(to_frame),
        "keypress_unhandled": presser.unhandled,
        "keypress_error": presser.error,
    })
    return result


def measure(name: str, folder: Path, workers: int, keys: bool = True) -> dict:
    waited = wait_until_quiet()
    output = fresh(WORK / f"out-app-load-{name}")
    result = asyncio.run(scenario(folder, output, PROCESSORS.get(name, name), workers, keys))
    result["waited_for_others_s"] = waited
    if not keys:
        # What the screen costs the batch: the same batch headless, right after.
        result["headless_wall_s"] = timed(docpool(
            folder, fresh(WORK / f"out-app-load-{name}-headless"), "-w", str(workers),
            "--processor", PROCESSORS.get(name, name), "--progress", "none"))

    lag, keys = result["lag"], result["keypress_to_handler"]
    print(f"[{name}] {result['documents']:,} documents ({result['status']}) in "
          f"{fmt(result['wall_s'], 1)} s, {fmt(result['docs_per_s'], 0)} docs/s; "
          f"{result['frames']} frames; CPU: UI thread {fmt(result['ui_thread_cpu_s'], 1)} s, "
          f"controller {fmt(result['controller_cpu_s'], 1)} s; "
          f"foreign load {fmt(result['foreign_load'])}", flush=True)
    print(f"[{name}]   " + line("loop lag", lag)
          + f"; {lag['over_100ms']} over 100 ms, {fmt(lag['stalled_over_100ms_s'], 2)} s stalled", flush=True)
    print(f"[{name}]   " + line("keypress -> handler", keys)
          + f"; {result['keypress_unhandled']} unhandled", flush=True)
    print(f"[{name}]   " + line("keypress -> next frame", result["keypress_to_frame"]), flush=True)
    print(f"[{name}]   " + line("idle loop lag (start screen)", result["idle_lag"]), flush=True)
    if not keys:
        print(f"[{name}]   headless `docpool run` on the same folder: "
              f"{fmt(result['headless_wall_s'], 1)} s (app / headless "
              f"{fmt(result['wall_s'] / result['headless_wall_s'], 3)})", flush=True)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=10_000, help="tiny documents (default 10,000)")
    parser.add_argument("--processor", action="append", choices=sorted(PROCESSORS),
                        help="noop and/or text (default both)")
    parser.add_argument("--runs", type=int, default=1, help="runs per processor (default 1)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--no-keys", action="store_true",
                        help="press no keys; time `docpool run` on the same folder beside the app")
    parser.add_argument("--save", default="app_load")
    parser.add_argument("--foreign-of", type=int, help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.foreign_of:
        return watch_foreign(options.foreign_of)

    os.environ["PYTHONPATH"] = env()["PYTHONPATH"]  # workers import trivial:noop
    os.environ["PYTHONWARNINGS"] = "ignore"
    from tui.process_start import prepare_process_start

    prepare_process_start()
    folder = WORK / f"tiny-{options.n}"
    facts = ensure_corpus(folder, options.n, tiny=True)
    results: dict = {"corpus": {**facts, "folder": str(folder)}, "workers": options.workers,
                     "size": list(SIZE), "tick_ms": TICK_SECONDS * 1000,
                     "press_every_s": PRESS_EVERY_SECONDS, "target_ms": TARGET_MS}
    for name in options.processor or ["noop", "text"]:
        runs = [measure(name, folder, options.workers, not options.no_keys)
                for _ in range(options.runs)]
        worst = max(runs, key=lambda r: r["lag"]["p99_ms"] or 0)
        met = all((r["lag"]["p99_ms"] or 0) < TARGET_MS
                  and (r["keypress_to_handler"]["p99_ms"] or 0) < TARGET_MS for r in runs)
        results[name] = {"runs": runs, "target_met": met}
        print(f"[{name}] target (lag p99 and keypress p99 < {TARGET_MS:.0f} ms): "
              f"{'met' if met else 'NOT met'} (worst lag p99 {fmt(worst['lag']['p99_ms'], 1)} ms)",
              flush=True)
    save(options.save, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())

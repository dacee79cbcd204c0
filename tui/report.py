"""The summary report: report.json, report.csv and report.md, written atomically.

Built in one pass over the records, so a batch of a hundred thousand documents
never holds them all in memory. Each file is written to a temporary name,
fsynced and renamed: a crash mid-write leaves the previous report or none,
never half of one. A run's own records can be taken as they land
(`ReportRows`), so that the report need not read them back at the end.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import humanize

from tui.events import DocumentRecord
from tui.atomic import open_atomically, write_atomically

CSV_COLUMNS = ("path", "status", "pages", "bytes", "seconds", "error", "message", "attempts")


@dataclass(frozen=True)
class RunFacts:
    """What the report says about the run itself, beside the records."""

    status: str
    folder: str
    output: str
    processor: str
    workers: int
    started_at: str
    finished_at: str
    elapsed_seconds: float
    processed_this_run: int = 0
    pages_this_run: int = 0
    bytes_this_run: int = 0
    resumed: int = 0
    problem: str = ""
    removed: int = 0
    """Documents an earlier run recorded that are no longer in the folder: left
    out of the records, so in none of the totals."""


@dataclass
class ReportTotals:
    discovered: int = 0
    succeeded: int = 0
    failed: int = 0
    skipped: int = 0
    not_processed: int = 0
    pages: int = 0
    bytes: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    def add(self, record: DocumentRecord) -> None:
        self.discovered += 1
        if record.status == "succeeded":
            self.succeeded += 1
        elif record.status == "failed":
            self.failed += 1
            self.errors.append(
                {
                    "path": record.path,
                    "error": record.error,
                    "message": record.message,
                    "attempts": record.attempts,
                }
            )
        elif record.status == "skipped":
            self.skipped += 1
        else:
            self.not_processed += 1
        if record.status in ("succeeded", "failed"):
            self.pages += record.pages
            self.bytes += record.bytes

    def add_totals(self, other: ReportTotals) -> None:
        """Count `other`'s records after this one's."""
        self.discovered += other.discovered
        self.succeeded += other.succeeded
        self.failed += other.failed
        self.skipped += other.skipped
        self.not_processed += other.not_processed
        self.pages += other.pages
        self.bytes += other.bytes
        self.errors += other.errors


def csv_row(record: DocumentRecord) -> tuple[Any, ...]:
    """The record's row in report.csv, in CSV_COLUMNS' order."""
    return (
        record.path,
        record.status,
        record.pages,
        record.bytes,
        f"{record.seconds:.3f}",
        record.error,
        record.message,
        record.attempts,
    )


class ReportRows:
    """Report rows and totals taken as records land, for the end of the run.

    Reading 5,000 records back from the journal took the report 46 ms after
    the last document, with both workers idle (BENCHMARKS.md, fifteenth
    round). The rows go to an unnamed temporary file in `folder`, which
    vanishes with the process whatever happens; the totals, failures
    included, stay in memory, as they would while the report is written.
    Any OSError (a full disk) leaves the caller to read the records back
    instead.
    """

    def __init__(self, folder: Path) -> None:
        self._file = io.TextIOWrapper(
            tempfile.TemporaryFile(dir=folder),
            encoding="utf-8", errors="surrogateescape", newline="",
        )
        self._writer = csv.writer(self._file, lineterminator="\n")
        self.totals = ReportTotals()

    def add(self, record: DocumentRecord) -> None:
        self._writer.writerow(csv_row(record))
        self.totals.add(record)

    def copy_into(self, rows: IO[str]) -> None:
        """Append the rows taken so far to the text file `rows`."""
        self._file.flush()
        rows.flush()
        self._file.buffer.seek(0)
        shutil.copyfileobj(self._file.buffer, rows.buffer)

    def close(self) -> None:
        try:
            self._file.close()
        except OSError:
            pass  # rows not yet flushed to a file about to vanish


def report_paths(report_json: Path) -> tuple[Path, Path, Path]:
    """report.json and its two siblings, report.csv and report.md."""
    return report_json, report_json.with_suffix(".csv"), report_json.with_suffix(".md")


def is_docpool_report(report_json: Path) -> bool:
    """Whether `report_json` is a report docpool wrote (so replacing it loses nothing of the user's)."""
    try:
        with open(report_json, encoding="utf-8") as file:
            found = json.load(file)
    except (OSError, ValueError):
        return False
    return isinstance(found, dict) and {"status", "totals", "report_csv"} <= found.keys()


def write_report(
    report_json: Path,
    facts: RunFacts | Callable[[], RunFacts],
    records: Iterable[DocumentRecord],
    taken: ReportRows | None = None,
) -> ReportTotals:
    """Write the three report files from `records`, then the rows `taken`
    as records landed; return the totals.

    `facts` may be a function, called once `records` is exhausted, for a
    caller that learns some of them (what it took over from an earlier run,
    what is gone since) only while it produces the records.
    """
    json_path, csv_path, md_path = report_paths(report_json)
    totals = ReportTotals()
    with open_atomically(csv_path, newline="") as rows:
        writer = csv.writer(rows, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for record in records:
            totals.add(record)
            writer.writerow(csv_row(record))
        if taken is not None:
            taken.copy_into(rows)
            totals.add_totals(taken.totals)
    if callable(facts):
        facts = facts()
    summary = report_document(facts, totals, csv_path, md_path)
    write_atomically(md_path, render_markdown(summary))
    write_atomically(json_path, json.dumps(summary, indent=2) + "\n")
    return totals


def report_document(
    facts: RunFacts, totals: ReportTotals, csv_path: Path, md_path: Path
) -> dict[str, Any]:
    elapsed = max(facts.elapsed_seconds, 1e-9)
    return {
        "status": facts.status,
        "folder": facts.folder,
        "output": facts.output,
        "started_at": facts.started_at,
        "finished_at": facts.finished_at,
        "elapsed_seconds": round(facts.elapsed_seconds, 3),
        "workers": facts.workers,
        "processor": facts.processor,
        "problem": facts.problem,
        "totals": {
            "discovered": totals.discovered,
            "succeeded": totals.succeeded,
            "failed": totals.failed,
            "skipped": totals.skipped,
            "not_processed": totals.not_processed,
            "pages": totals.pages,
            "bytes": totals.bytes,
            "resumed": facts.resumed,
            "processed_this_run": facts.processed_this_run,
            "docs_per_second": round(facts.processed_this_run / elapsed, 3),
            "pages_per_second": round(facts.pages_this_run / elapsed, 3),
            "bytes_per_second": round(facts.bytes_this_run / elapsed, 1),
        },
        "removed": facts.removed,
        "errors": totals.errors,
        "report_csv": str(csv_path),
        "report_md": str(md_path),
    }


def render_markdown(summary: dict[str, Any]) -> str:
    """The human summary: what ran, how long, how fast, and what failed, by kind."""
    totals = summary["totals"]
    elapsed = humanize.precisedelta(summary["elapsed_seconds"], minimum_unit="seconds", format="%0.1f")
    lines = [
        "# docpool report",
        "",
        f"- **Status:** {summary['status']}"
        + (f" ({summary['problem']})" if summary["problem"] else ""),
        f"- **Folder:** `{summary['folder']}`",
        f"- **Output:** `{summary['output']}`",
        f"- **Processor:** {summary['processor']}, {summary['workers']} workers",
        f"- **Started:** {summary['started_at']}",
        f"- **Finished:** {summary['finished_at']} ({elapsed})",
        "",
        "| documents | count |",
        "| --- | ---: |",
        f"| discovered | {totals['discovered']:,} |",
        f"| succeeded | {totals['succeeded']:,} |",
        f"| failed | {totals['failed']:,} |",
        f"| skipped | {totals['skipped']:,} |",
        f"| not processed | {totals['not_processed']:,} |",
        "",
        f"{totals['pages']:,} pages, {humanize.naturalsize(totals['bytes'], binary=True)}.",
        f"Throughput this run: {totals['docs_per_second']:,.1f} documents/s, "
        f"{totals['pages_per_second']:,.1f} pages/s, "
        f"{humanize.naturalsize(totals['bytes_per_second'], binary=True)}/s.",
    ]
    if totals["resumed"]:
        lines.append(f"{totals['resumed']:,} documents were taken over from an earlier run.")
    removed = summary["removed"]
    if removed:
        lines.append(
            f"{removed:,} {'document' if removed == 1 else 'documents'} recorded by an earlier run "
            f"{'is' if removed == 1 else 'are'} no longer in the folder and left out of this report."
        )
    errors = summary["errors"]
    if errors:
        lines += ["", "## Failures", ""]
        by_kind = Counter(error["error"] for error in errors)
        for kind, count in by_kind.most_common():
            lines += [f"### {kind} ({count:,})", ""]
            for error in (e for e in errors if e["error"] == kind):
                lines.append(f"- `{_code(error['path'])}`: {_code(error['message'])}")
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _code(text: str) -> str:
    return text.replace("`", "'").replace("\n", " ")

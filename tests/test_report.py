"""The report: its invariants, its three files, and its atomic write."""

from __future__ import annotations

import csv
import json
import stat
import subprocess
import sys
from dataclasses import replace

import pytest

from pdfs import make_pdf
from test_recovery import ROOT
from tui.events import DocumentRecord
from tui.report import ReportRows, RunFacts, write_report

FACTS = RunFacts(
    status="completed", folder="/in", output="/out", processor="text", workers=2,
    started_at="2026-11-27T10:00:00+00:00", finished_at="2026-11-27T10:01:30+00:00",
    elapsed_seconds=90.0, processed_this_run=4, pages_this_run=12, bytes_this_run=4096,
)

RECORDS = [
    DocumentRecord("a.pdf", "succeeded", bytes=1000, pages=5, seconds=0.5, attempts=1),
    DocumentRecord("report [draft].pdf", "succeeded", bytes=1000, pages=7, seconds=0.5, attempts=1),
    DocumentRecord("bad.pdf", "failed", bytes=1000, error="PdfReadError", message="EOF marker not found", attempts=1),
    DocumentRecord("slow.pdf", "failed", bytes=1096, error="timeout", message="no result after 120 s", attempts=2),
    DocumentRecord("later.pdf", "not_processed", bytes=50),
]


def test_totals_add_up_and_errors_are_listed(tmp_path):
    totals = write_report(tmp_path / "report.json", FACTS, iter(RECORDS))
    report = json.loads((tmp_path / "report.json").read_text())
    t = report["totals"]
    assert (t["discovered"], t["succeeded"], t["failed"], t["skipped"], t["not_processed"]) == (5, 2, 2, 0, 1)
    assert t["succeeded"] + t["failed"] + t["skipped"] + t["not_processed"] == t["discovered"]
    assert t["pages"] == 12 and t["bytes"] == 4096
    assert t["docs_per_second"] == pytest.approx(4 / 90, abs=1e-3)
    assert report["errors"] == [
        {"path": "bad.pdf", "error": "PdfReadError", "message": "EOF marker not found", "attempts": 1},
        {"path": "slow.pdf", "error": "timeout", "message": "no result after 120 s", "attempts": 2},
    ]
    assert totals.failed == 2


def test_csv_has_a_row_per_document(tmp_path):
    write_report(tmp_path / "report.json", FACTS, iter(RECORDS))
    with open(tmp_path / "report.csv", newline="") as file:
        rows = list(csv.DictReader(file))
    assert [row["path"] for row in rows] == [r.path for r in RECORDS]
    assert rows[3]["error"] == "timeout" and rows[3]["attempts"] == "2"
    assert set(rows[0]) >= {"path", "status", "pages", "bytes", "seconds", "error", "message"}


def test_markdown_groups_failures_in_human_units(tmp_path):
    write_report(tmp_path / "report.json", FACTS, iter(RECORDS))
    text = (tmp_path / "report.md").read_text()
    assert "### PdfReadError (1)" in text and "### timeout (1)" in text
    assert "1 minute and 30 seconds" in text
    assert "4.0 KiB" in text


def test_a_failure_mid_write_keeps_the_previous_report_whole(tmp_path):
    write_report(tmp_path / "report.json", FACTS, iter(RECORDS))
    before = {name: (tmp_path / name).read_bytes() for name in ("report.json", "report.csv", "report.md")}

    def exploding():
        yield RECORDS[0]
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        write_report(tmp_path / "report.json", FACTS, exploding())
    after = {name: (tmp_path / name).read_bytes() for name in before}
    assert after == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.csv", "report.json", "report.md"]


def test_rows_taken_as_records_land_make_the_same_report_as_one_pass(tmp_path):
    """The engine hands its run's records over as they land and the rest at
    the end: the three files must be the ones a single pass would write."""
    unusual = [
        DocumentRecord("caf\udce9, \"quoted\"\nname.pdf", "failed", bytes=9, error="PdfReadError",
                       message="line one\nline two, with a comma", attempts=3),
        DocumentRecord("b.pdf", "succeeded", bytes=20, pages=2, seconds=0.12345, attempts=1),
    ]
    records = RECORDS + unusual
    whole, split = tmp_path / "whole", tmp_path / "split"
    whole.mkdir()
    split.mkdir()
    write_report(whole / "report.json", FACTS, iter(records))

    taken = ReportRows(split)
    for record in records[2:]:
        taken.add(record)
    totals = write_report(split / "report.json", FACTS, iter(records[:2]), taken)
    taken.close()

    for name in ("report.csv", "report.md"):
        assert (split / name).read_bytes() == (whole / name).read_bytes()
    report = json.loads((split / "report.json").read_text())
    assert report == {
        **json.loads((whole / "report.json").read_text()),
        "report_csv": str(split / "report.csv"),
        "report_md": str(split / "report.md"),
    }
    assert (totals.discovered, totals.failed) == (len(records), 3)
    assert sorted(p.name for p in split.iterdir()) == ["report.csv", "report.json", "report.md"]


def test_documents_gone_since_an_earlier_run_are_counted_beside_the_totals(tmp_path):
    streamed: list[DocumentRecord] = []
    asked_after: list[int] = []

    def records():
        for record in RECORDS:
            streamed.append(record)
            yield record

    def facts_once_streamed() -> RunFacts:
        """The engine learns what is gone only while it streams the records."""
        asked_after.append(len(streamed))
        return replace(FACTS, removed=2)

    write_report(tmp_path / "report.json", facts_once_streamed, records())
    assert asked_after == [len(RECORDS)]
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["removed"] == 2
    assert report["totals"]["discovered"] == len(RECORDS)
    text = (tmp_path / "report.md").read_text()
    assert "2 documents recorded by an earlier run are no longer in the folder" in text

    write_report(tmp_path / "report.json", FACTS, iter(RECORDS))
    assert json.loads((tmp_path / "report.json").read_text())["removed"] == 0
    assert "no longer in the folder" not in (tmp_path / "report.md").read_text()


def test_report_and_text_files_get_the_usual_permissions(tmp_path):
    """Written through a private temporary file, they still end as open() would make them."""
    make_pdf(tmp_path / "in" / "a.pdf")
    script = (
        "import os, sys; os.umask(0o022); from tui.cli import main; "
        f"sys.exit(main(['run', {str(tmp_path / 'in')!r}, '-o', {str(tmp_path / 'out')!r}, '--progress', 'none']))"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                         cwd=ROOT)
    assert run.returncode == 0, run.stdout + run.stderr
    for name in ("a.pdf.txt", "report.json", "report.csv", "report.md", "docpool-journal.jsonl"):
        assert stat.S_IMODE((tmp_path / "out" / name).stat().st_mode) == 0o644, name

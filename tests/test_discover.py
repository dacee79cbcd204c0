"""Discovery: lazy, recursive, case-insensitive, sorted, loop-safe."""

from __future__ import annotations

import os
import types

from pdfs import make_broken
from tui.discover import iter_documents


def names(folder, **options):
    return [document.relative for document in iter_documents(folder, **options)]


def test_finds_pdfs_recursively_sorted_and_in_any_case(tmp_path):
    for relative in ("b.pdf", "A.PDF", "c.Pdf", "notes.txt", "sub/z.pdf", "sub/a.pdf", "sub/deep/x.pdf", "aa/y.pdf"):
        make_broken(tmp_path / relative)
    assert names(tmp_path) == ["A.PDF", "b.pdf", "c.Pdf", "aa/y.pdf", "sub/a.pdf", "sub/z.pdf", "sub/deep/x.pdf"]


def test_is_lazy(tmp_path):
    make_broken(tmp_path / "a.pdf")
    documents = iter_documents(tmp_path)
    assert isinstance(documents, types.GeneratorType)
    first = next(documents)
    assert first.relative == "a.pdf" and first.bytes == (tmp_path / "a.pdf").stat().st_size


def test_leaves_out_the_excluded_folder(tmp_path):
    make_broken(tmp_path / "in.pdf")
    make_broken(tmp_path / "out" / "stray.pdf")
    assert names(tmp_path, exclude=tmp_path / "out") == ["in.pdf"]


def test_symlinks_are_skipped_unless_followed_and_loops_end(tmp_path):
    make_broken(tmp_path / "real" / "a.pdf")
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    make_broken(outside / "elsewhere.pdf")
    os.symlink(outside, tmp_path / "real" / "link-out")
    os.symlink(tmp_path / "real", tmp_path / "real" / "loop")
    assert names(tmp_path) == ["real/a.pdf"]
    followed = names(tmp_path, follow_symlinks=True)
    assert followed == ["real/a.pdf", "real/link-out/elsewhere.pdf"]


def test_order_is_the_same_when_a_folder_is_sorted_in_several_runs(tmp_path, monkeypatch):
    import tui.discover

    for index in (7, 3, 11, 0, 5, 9, 1, 10, 2, 8, 4, 6):
        make_broken(tmp_path / f"d{index:02d}.pdf")
    (tmp_path / "d05").mkdir()
    make_broken(tmp_path / "d05" / "inside.pdf")
    expected = names(tmp_path)
    monkeypatch.setattr(tui.discover, "SORT_RUN", 3)
    assert names(tmp_path) == expected
    assert expected[:3] == ["d00.pdf", "d01.pdf", "d02.pdf"] and expected[-1] == "d05/inside.pdf"


def test_unordered_walk_finds_the_same_documents(tmp_path):
    for relative in ("b.pdf", "a/c.pdf", "a/b/d.PDF"):
        make_broken(tmp_path / relative)
    assert sorted(names(tmp_path, ordered=False)) == sorted(names(tmp_path))


def test_stop_ends_a_walk_through_a_folder_without_pdfs(tmp_path):
    for index in range(50):
        (tmp_path / f"note-{index}.txt").write_text("x")
    make_broken(tmp_path / "zz.pdf")
    looked = []

    def stop():
        looked.append(1)
        return len(looked) > 10

    assert names(tmp_path, stop=stop) == []
    assert len(looked) == 11

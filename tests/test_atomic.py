"""Atomic writes: whole or absent, by either of the two ways `open_atomically` has."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tui import atomic
from tui.atomic import clear_staging, open_atomically, write_atomically


@pytest.fixture(params=["unnamed", "renamed"])
def way(request, monkeypatch, tmp_path) -> str:
    """Each test runs with an unnamed file named once whole (Linux O_TMPFILE)
    and with the temporary name renamed into place (everywhere else)."""
    if request.param == "renamed":
        monkeypatch.setattr(atomic, "_open_unnamed", lambda folder: None)
    elif not unnamed_files_work(tmp_path):
        pytest.skip("no unnamed files on this system or file system")
    return request.param


def unnamed_files_work(folder: Path) -> bool:
    descriptor = atomic._open_unnamed(folder)
    if descriptor is None:
        return False
    os.close(descriptor)
    return True


def names_in(folder: Path) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*"))


def test_a_new_file_appears_whole_and_as_open_would_make_it(way, tmp_path):
    target = tmp_path / "sub" / "a.txt"
    write_atomically(target, "é\f2", staging=tmp_path / "staging")
    assert target.read_text(encoding="utf-8") == "é\f2"
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~atomic._UMASK
    assert [name for name in names_in(tmp_path) if ".tmp-" in name] == []


def test_an_existing_file_is_replaced_and_no_part_is_left(way, tmp_path):
    target, staging = tmp_path / "a.txt", tmp_path / "staging"
    target.write_text("before")
    write_atomically(target, "after", staging=staging)
    assert target.read_text() == "after"
    assert [name for name in names_in(tmp_path) if ".tmp-" in name] == []


def test_a_failure_mid_write_keeps_what_the_target_held(way, tmp_path):
    old, new, staging = tmp_path / "old.txt", tmp_path / "new.txt", tmp_path / "staging"
    old.write_text("before")
    for target in (old, new):
        with pytest.raises(OSError), open_atomically(target, staging=staging) as file:
            file.write("half")
            raise OSError(28, "No space left on device")
    assert old.read_text() == "before"
    assert not new.exists()
    assert [name for name in names_in(tmp_path) if ".tmp-" in name] == []


def test_a_folder_in_the_way_is_an_error_and_leaves_no_part(way, tmp_path):
    target = tmp_path / "a.txt"
    target.mkdir()
    with pytest.raises(OSError):
        write_atomically(target, "text", staging=tmp_path / "staging")
    assert target.is_dir()
    assert [name for name in names_in(tmp_path) if ".tmp-" in name] == []


def test_no_name_appears_before_the_file_is_whole(tmp_path):
    """An unnamed file leaves nothing for a reader to see, or a kill to leave behind."""
    if not unnamed_files_work(tmp_path):
        pytest.skip("no unnamed files on this system or file system")
    staging = tmp_path / "staging"
    with open_atomically(tmp_path / "a.txt", staging=staging) as file:
        file.write("half")
        file.flush()
        assert names_in(tmp_path) == []
    assert names_in(tmp_path) == ["a.txt"]


def test_clear_staging_removes_parts_and_keeps_what_is_not_ours(tmp_path):
    staging = tmp_path / "staging"
    staging.mkdir()
    (staging / ".tmp-abc.part").write_text("a killed writer's part")
    (staging / "keep.txt").write_text("someone's")
    clear_staging(staging)
    assert names_in(tmp_path) == ["staging", "staging/keep.txt"]


def test_where_proc_is_hidden_files_are_written_under_a_temporary_name(monkeypatch, tmp_path):
    """Unnamed files are named through /proc/self/fd: without it, every document would fail."""
    real_stat = os.stat

    def stat_without_proc(path, *args, **kwargs):
        if str(path).startswith("/proc/"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(atomic, "_proc_fd_works", None)
    monkeypatch.setattr(atomic.os, "stat", stat_without_proc)
    assert atomic._open_unnamed(tmp_path) is None
    write_atomically(tmp_path / "a.txt", "text", staging=tmp_path / "staging")
    assert (tmp_path / "a.txt").read_text() == "text"
    assert names_in(tmp_path) == ["a.txt", "staging"]

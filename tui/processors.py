"""What processing one document means.

A processor is a function that takes a PDF's path and returns a
JSON-serialisable dict, which lands in that document's record. The built-ins
are `text` (extract every page's text to the output folder, and the metadata)
and `info` (the metadata only). A user's own plugs in as `module:function`.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from tui.atomic import sync_folder, write_atomically
from tui.page_weights import content_sizes

Processor = Callable[[Path], dict[str, Any]]

PageSizes = Callable[[], "list[int] | None"]
"""Weighs every page of the document (see `tui.page_weights`); asked for once,
and only by a document that runs long enough to report its pace."""

page_progress: Callable[[int, int, PageSizes | None], None] | None = None
"""Set by the worker: told (pages done, pages, a way to weigh the pages) as
the text processor goes, so a long document's own pace can show in the ETA."""

BUILTIN_PROCESSORS = ("text", "info")
MAX_NAME_BYTES = 255
STAGING_FOLDER = ".docpool-staging"
"""Where a text file is written before it is renamed into place, when it
cannot be written unnamed (`tui.atomic`), so that the part a worker killed
mid-write leaves can be found and removed."""
RESERVED_NAMES = frozenset(
    {
        "docpool-journal.jsonl",
        "report.json",
        "report.csv",
        "report.md",
        ".docpool-write-test",
        STAGING_FOLDER,
    }
)


class PasswordRequired(Exception):
    """The PDF is encrypted and the empty password does not open it."""


class EmptyFile(Exception):
    """A zero-byte file named .pdf."""


class ProcessorNotFound(Exception):
    """A `--processor` value that names nothing loadable."""


def load_processor(spec: str, folder: Path, output: Path) -> Processor:
    """Resolve a processor name (`text`, `info` or `module:function`) to a function."""
    if spec == "text":
        return partial(extract_text, folder=folder, output=output)
    if spec == "info":
        return read_info
    module_name, sep, function_name = spec.partition(":")
    if not sep or not module_name or not function_name:
        raise ProcessorNotFound(
            f"unknown processor {spec!r}: use text, info or module:function"
        )
    if os.getcwd() not in sys.path:
        sys.path.append(os.getcwd())  # a module in the current folder, as with `python -m`
    try:
        module = importlib.import_module(module_name)
    except (Exception, SystemExit) as error:  # a module may call sys.exit() as it loads
        reason = f"it exited ({error.code})" if isinstance(error, SystemExit) else error
        raise ProcessorNotFound(
            f"cannot import {module_name!r} for processor {spec!r}: {reason}"
        ) from None
    function = getattr(module, function_name, None)
    if not callable(function):
        raise ProcessorNotFound(f"{module_name!r} has no function {function_name!r}")
    return function


def read_info(path: Path) -> dict[str, Any]:
    """Open the PDF and record its metadata without extracting text."""
    return _metadata(_open(path))


def extract_text(path: Path, *, folder: Path, output: Path) -> dict[str, Any]:
    """Write the text of every page to OUTPUT/<relative path>.txt and record the metadata.

    A page that fails to extract is counted, not fatal: the other pages'
    text is still written.
    """
    reader = _open(path)
    record = _metadata(reader)
    texts: list[str] = []
    failed_pages = 0
    pages = len(reader.pages)

    def weigh_pages() -> list[int] | None:
        return content_sizes(reader, os.path.getsize(path))

    for number, page in enumerate(reader.pages, start=1):
        try:
            texts.append(page.extract_text() or "")
        except MemoryError:
            raise
        except Exception:
            failed_pages += 1
            texts.append("")
        if page_progress is not None:
            page_progress(number, pages, weigh_pages)
    text = "\f".join(texts)
    target = text_output_path(output, path.relative_to(folder).as_posix())
    write_atomically(  # made durable by the journal's next sync, unless on another file system
        target,
        text,
        errors="replace",
        staging=output / STAGING_FOLDER,
        durable=not _synced_with_journal(target.parent, output),
    )
    record.update(characters=len(text), failed_pages=failed_pages, text_file=str(target))
    return record


def _synced_with_journal(folder: Path, output: Path) -> bool:
    """Whether `folder` is on the file system that the journal's bulk sync
    (`tui.atomic.sync_file_system`) makes durable: OUTPUT's.

    A folder inside OUTPUT may be on another (a mount point, or a link the
    user made to another disk); a text file there must be synced by itself,
    and so must the folders made for it there, or a power cut could take the
    folder, and the text with it, after the journal has its record.
    """
    made: list[Path] = []
    try:
        device = os.stat(folder).st_dev
    except FileNotFoundError:
        made = _make_folders(folder)
        device = os.stat(folder).st_dev
    synced = device == os.stat(output).st_dev
    if not synced:
        for made_folder in made:
            sync_folder(made_folder.parent)  # the made folder's name, in its parent
    return synced


def _make_folders(folder: Path) -> list[Path]:
    """Make `folder` and the missing folders above it; return those this call made.

    A folder another worker made first is not in the list (that worker
    syncs it), and a file in the way raises as `mkdir` would.
    """
    missing: list[Path] = []
    while not folder.is_dir():
        missing.append(folder)
        folder = folder.parent
    made: list[Path] = []
    for path in reversed(missing):
        try:
            path.mkdir()
        except FileExistsError:
            if not path.is_dir():
                raise
            continue
        made.append(path)
    return made


def text_output_path(output: Path, relative: str) -> Path:
    """Where the text of `relative` goes: inside `output`, whatever the name holds.

    Names come from a directory walk, so they hold no `..`, but `..`, `.` and
    empty parts are dropped all the same. A name too long for the file system
    once `.txt` is added is shortened and made unique. A top-level folder
    named like docpool's own files (`report.json`, the journal) gets a `~`, so
    the text never stands where the report must go.
    """
    parts = [part for part in relative.split("/") if part not in ("", ".", "..")]
    if not parts:
        parts = ["unnamed"]
    parts[-1] = parts[-1] + ".txt"
    if len(parts) > 1 and (parts[0] in RESERVED_NAMES or parts[0].startswith(".tmp-")):
        parts[0] += "~"
    parts = [_fit_name(part) for part in parts]
    return output.joinpath(*parts)


def _fit_name(name: str) -> str:
    encoded = name.encode("utf-8", errors="surrogateescape")
    if len(encoded) <= MAX_NAME_BYTES:
        return name
    digest = hashlib.sha1(encoded).hexdigest()[:12]
    head = encoded[: MAX_NAME_BYTES - 30].decode("utf-8", errors="ignore")
    suffix = ".txt" if name.endswith(".txt") else ""
    return f"{head}~{digest}{suffix}"


def _open(path: Path) -> Any:
    from pypdf import PasswordType, PdfReader

    with open(path, "rb") as probe:
        if not probe.read(1):
            raise EmptyFile("empty file (0 bytes)")
    reader = PdfReader(path)
    if reader.is_encrypted:
        if reader.decrypt("") == PasswordType.NOT_DECRYPTED:
            raise PasswordRequired("encrypted: password required")
    return reader


def _metadata(reader: Any) -> dict[str, Any]:
    info: dict[str, Any] = {
        "pages": len(reader.pages),
        "encrypted": bool(reader.is_encrypted),
        "pdf_version": reader.pdf_header.removeprefix("%PDF-"),
        "title": "",
        "author": "",
        "producer": "",
        "creation_date": "",
    }
    try:
        metadata = reader.metadata
    except Exception:
        metadata = None
    if metadata:
        for key, name in (
            ("title", "/Title"),
            ("author", "/Author"),
            ("producer", "/Producer"),
            ("creation_date", "/CreationDate"),
        ):
            try:
                value = metadata.get(name)
                info[key] = "" if value is None else str(value)
            except Exception:
                pass
    return info

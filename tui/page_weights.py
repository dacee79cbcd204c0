"""How much work each page of a PDF holds, told without extracting it.

A long document's time left is told from its own pace (see the worker's
progress reporter). Pages are not equal: a page of dense text costs more
than a title page, and its content stream is longer. So is a page that
draws form XObjects, whose content is extracted with the page's. Each
page's content streams and forms, sized from where their objects start in
the file (no stream is decoded), say which pages are heavy before they run.
"""

from __future__ import annotations

import bisect
import re
from typing import Any

HEAD_BYTES = 2048
LONGEST_HEAD_BYTES = 64 * 1024
"""How much of an XObject is read to tell a form from an image (its
dictionary): first HEAD_BYTES, and more only if its stream has not begun.
A form's dictionary can list hundreds of resources; an image's is short."""

_FORM = re.compile(rb"/Subtype\s*/Form(?![A-Za-z0-9])")

MOST_XOBJECTS = 1000
"""A page whose resources name more XObjects than this is weighed by its
content streams alone: looking at each would cost more than the estimate is
worth (a generator may name every image of a book in each page's resources)."""


def content_sizes(reader: Any, file_size: int) -> list[int] | None:
    """Bytes of each page's content streams and forms in the file, or None if
    they cannot be told.

    `reader` is a `pypdf.PdfReader`. A stream's size is the distance from
    its object's offset to the next object's; a stream that the cross-reference
    table does not place (a damaged file) counts as nothing. A page counts
    every form its resources name, drawn or not.
    """
    from pypdf.generic import ArrayObject, IndirectObject

    try:
        objects = _Objects(reader, file_size)
        sizes = []
        for page in reader.pages:
            contents = dict.get(page, "/Contents")  # not resolved: its reference is the point
            if isinstance(contents, IndirectObject):
                resolved = contents.get_object()
                references = list(resolved) if isinstance(resolved, ArrayObject) else [contents]
            elif isinstance(contents, ArrayObject):
                references = list(contents)
            else:
                references = []
            size = sum(objects.size(reference) for reference in references)
            size += objects.forms_named_by(page)
            sizes.append(size)
    except Exception:  # noqa: BLE001 - a damaged file: the pace of pages alone will do
        return None
    return sizes if any(sizes) else None


class _Objects:
    """The file's objects by where they start, and its forms by what they hold."""

    def __init__(self, reader: Any, file_size: int) -> None:
        self._where = {
            (number, generation): offset
            for generation, objects in reader.xref.items()
            for number, offset in objects.items()
        }
        self._starts = sorted(self._where.values())
        self._file_size = file_size
        self._stream = reader.stream
        self._forms: dict[tuple[int, int], bool] = {}
        self._named: dict[int, tuple[Any, int]] = {}
        """By XObject dictionary (kept alive here, so its id stays its own): the
        bytes of the forms it names. Pages that inherit their resources share one."""

    def size(self, reference: Any) -> int:
        """Bytes from the object's start to the next object's; 0 if unplaced."""
        offset = self._offset(reference)
        if offset is None:
            return 0
        following = bisect.bisect_right(self._starts, offset)
        end = self._starts[following] if following < len(self._starts) else self._file_size
        return max(0, end - offset)

    def forms_named_by(self, page: Any) -> int:
        """Bytes of the forms the page's resources name; 0 past MOST_XOBJECTS."""
        xobjects = _xobjects(page)
        if not xobjects:
            return 0
        known = self._named.get(id(xobjects))
        if known is None:
            references = list(dict.values(xobjects))
            size = 0
            if len(references) <= MOST_XOBJECTS:
                size = sum(self.form_size(reference) for reference in references)
            known = self._named[id(xobjects)] = (xobjects, size)
        return known[1]

    def form_size(self, reference: Any) -> int:
        """A form's size; 0 for an image or anything else.

        Nothing is resolved: resolving an image would read it whole into
        the reader's cache, for a scanned document every page's image at
        once. The dictionary at the object's start tells a form. The forms
        a form draws in turn are not counted: GeoTopo's heaviest page draws
        one form holding 316 small ones, and counting them made the pace
        replayed on GeoTopo worse, not better (benchmarks/page_pace.py, mix:
        p90 33-36% against 12-14% with one level; BENCHMARKS.md, fourteenth
        round).
        """
        offset = self._offset(reference)
        if offset is None:
            return 0
        key = (reference.idnum, reference.generation)
        form = self._forms.get(key)
        if form is None:
            form = _FORM.search(self._dictionary_at(offset)) is not None
            self._forms[key] = form
        return self.size(reference) if form else 0

    def _offset(self, reference: Any) -> int | None:
        from pypdf.generic import IndirectObject

        if not isinstance(reference, IndirectObject):
            return None
        return self._where.get((reference.idnum, reference.generation))

    def _dictionary_at(self, offset: int) -> bytes:
        """The object's start, up to its stream's data; the reader's position is kept."""
        position = self._stream.tell()
        try:
            self._stream.seek(offset)
            head = self._stream.read(HEAD_BYTES)
            if b"stream" not in head:
                head += self._stream.read(LONGEST_HEAD_BYTES - HEAD_BYTES)
        finally:
            self._stream.seek(position)
        return head.split(b"stream", 1)[0]


def _xobjects(page: Any) -> dict[Any, Any] | None:
    """The page's /Resources /XObject dictionary (its values unresolved); None if
    it has none or it cannot be read."""
    try:
        resources = _resolved(dict.get(page, "/Resources"))
        if not isinstance(resources, dict):
            return None
        xobjects = _resolved(dict.get(resources, "/XObject"))
    except Exception:  # noqa: BLE001 - a damaged page: its content streams still weigh
        return None
    return xobjects if isinstance(xobjects, dict) else None


def _resolved(value: Any) -> Any:
    return value.get_object() if hasattr(value, "get_object") else value

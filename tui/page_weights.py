"""How much work each page of a PDF holds, told without extracting it.

A long document's time left is told from its own pace (see the worker's
progress reporter). Pages are not equal: a page of dense text costs more
than a title page, and its content stream is longer. Each page's content
stream size, read from where its objects start in the file (no stream is
read or decoded), says which pages are heavy before they run.
"""

from __future__ import annotations

import bisect
from typing import Any


def content_sizes(reader: Any, file_size: int) -> list[int] | None:
    """Bytes of each page's content streams in the file, or None if they cannot be told.

    `reader` is a `pypdf.PdfReader`. A stream's size is the distance from
    its object's offset to the next object's; a stream that the cross-reference
    table does not place (a damaged file) counts as nothing.
    """
    from pypdf.generic import ArrayObject, IndirectObject

    try:
        where = {
            (number, generation): offset
            for generation, objects in reader.xref.items()
            for number, offset in objects.items()
        }
        starts = sorted(where.values())
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
            size = 0
            for reference in references:
                if not isinstance(reference, IndirectObject):
                    continue
                offset = where.get((reference.idnum, reference.generation))
                if offset is None:
                    continue
                following = bisect.bisect_right(starts, offset)
                end = starts[following] if following < len(starts) else file_size
                size += max(0, end - offset)
            sizes.append(size)
    except Exception:  # noqa: BLE001 - a damaged file: the pace of pages alone will do
        return None
    return sizes if any(sizes) else None

from __future__ import annotations

import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).parent
CORPUS = TESTS.parent.parent / "shared" / "corpus"

# Worker processes import test processors (`faulty:...`) by module name.
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))


@pytest.fixture
def corpus() -> Path:
    """The shared real-world corpus, when this checkout sits beside it."""
    if not (CORPUS / "MANIFEST.tsv").is_file():
        pytest.skip("../shared/corpus is not here")
    return CORPUS

"""One document per process, for GNU parallel's baseline:

    parallel -j2 --will-cite python benchmarks/one_file.py FOLDER OUT :::: list-of-paths
"""

import sys
import warnings
from pathlib import Path

from tui.processors import extract_text

warnings.simplefilter("ignore")
folder, output, path = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
try:
    extract_text(path, folder=folder, output=output)
except Exception as error:  # noqa: BLE001
    print(f"failed: {path}: {type(error).__name__}", file=sys.stderr)
    sys.exit(1)

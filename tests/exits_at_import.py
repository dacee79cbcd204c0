"""A processor module that calls sys.exit() as it loads (a script turned module)."""

import sys

print("printed at import")
sys.exit(5)


def run(path):
    return {}

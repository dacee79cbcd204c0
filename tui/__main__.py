"""`python -m tui` is the `docpool` command."""

from tui.cli import main

raise SystemExit(main())

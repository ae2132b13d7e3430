"""`python -m assistant` runs the command line."""

from assistant.interfaces.cli import main

raise SystemExit(main())

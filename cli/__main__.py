"""`python -m cli` runs the `kb` command line."""

import sys

from cli.main import main

sys.exit(main())

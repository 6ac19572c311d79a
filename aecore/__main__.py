"""``python -m aecore``: the command line (``aecore.cli``)."""

import sys

from aecore.cli.main import main

sys.exit(main())

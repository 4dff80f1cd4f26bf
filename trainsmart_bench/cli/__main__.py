"""``python -m trainsmart_bench.cli``: the ``trainsmart`` command."""

import sys

from trainsmart_bench.cli import main

sys.exit(main())

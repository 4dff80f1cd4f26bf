"""`python -m trainsmart_bench.bench [--quick|--standard|--full] ...`: the bench job."""

import sys

from trainsmart_bench.bench.cli import main

sys.exit(main())

import sys

from benchmarks.bench_ui.cli import main

sys.exit(main())

"""``python -m reluplug.bench`` = ``reluplug-bench``."""

import sys

from reluplug.bench.cli import main

sys.exit(main())

"""Entry point for ``python -m codegen.generator``."""

import sys

from codegen.generator.cli import main

sys.exit(main())

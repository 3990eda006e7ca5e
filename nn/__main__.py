"""``python -m nn``: the command line of :mod:`nn.cli`."""

import sys

from nn.cli import main

if __name__ == "__main__":
    sys.exit(main())

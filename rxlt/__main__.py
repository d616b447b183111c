import sys

from rxlt.cli import main

sys.exit(main())

"""PyInstaller's entry script: the frozen ``frontcounter`` is exactly ``frontcounter.cli.main:main``.

It lives outside the package so that the package itself is analysed as an import (``frontcounter``),
not as a loose ``__main__`` script, and so both frozen executables share this one file.
"""

from frontcounter.cli.main import main

raise SystemExit(main())

"""``python -m frontcounter`` and the ``frontcounter-gui`` script: the CLI, which opens the GUI
(frontcounter.startup) when no subcommand is given."""

from __future__ import annotations

import sys


def main() -> int:
    from frontcounter.cli.main import main as cli_main

    return cli_main(sys.argv[1:])


if __name__ == "__main__":
    raise SystemExit(main())

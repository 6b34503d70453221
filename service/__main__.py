"""``python -m service`` and the ``mshop`` command: the CLI, re-executed first for ``serve``.

``mshop serve`` runs with glibc's arenas bounded, which it can only set by re-executing itself
(``serving.reexec_with_malloc_arenas``). It does so here, before importing the commands: they
take a second or more to import (the web framework, the ORM, every domain), which done before
the re-exec was paid twice on every start.
"""

import sys

from service import serving


def main() -> int:
    if sys.argv[1:2] == ["serve"]:
        serving.reexec_with_malloc_arenas(sys.argv[1:])
    from service.cli import main as cli_main

    return cli_main()


if __name__ == "__main__":
    sys.exit(main())

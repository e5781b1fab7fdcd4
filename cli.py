"""Thin entry point: ``python cli.py ...`` is the same as the ``linkage-opt`` console script."""

from linkage_opt.cli import main

if __name__ == "__main__":
    main()

"""``python -m carve`` runs the command line."""

from carve.cli.main import main

if __name__ == "__main__":
    raise SystemExit(main())

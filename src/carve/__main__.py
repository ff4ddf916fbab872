"""``python -m carve`` runs the command line."""

from carve.cli.main import entry

if __name__ == "__main__":
    entry()

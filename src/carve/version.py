"""carve's version (the one in pyproject.toml), at the bottom layer so any layer may read it."""

__version__ = "0.1.0"

"""Command line: ``carve ACTION [MODEL] [DATASET] [flags]``, one module per action."""

"""Interface passes: save and load graphs (recipe + weights + metadata, no pickled code)."""

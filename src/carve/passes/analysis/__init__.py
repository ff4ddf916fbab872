"""Analysis passes: metadata, reports, statistics, FLOPs/BitOPs, average bits, verification."""

"""Analysis passes about quantization: what changed (summarize) and proof of it (verify)."""

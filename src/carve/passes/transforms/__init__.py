"""Transform passes: they change the graph's computation (quantize, ...)."""

"""Weight and activation statistics (MASE's seven kinds) and the profiling pass."""

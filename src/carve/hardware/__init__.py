"""Hardware: RTL emission helpers, simulator harnesses, yosys estimates, the cost model."""

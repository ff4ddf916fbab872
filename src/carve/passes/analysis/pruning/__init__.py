"""Sparsity analysis: measured and natural sparsity, hooks, sparse cost and reports."""

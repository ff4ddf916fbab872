"""Pruning: the prune/detach passes, mask selection, masks on modules, gradual schedules."""

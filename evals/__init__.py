"""Evaluation sets, metrics and benchmarks."""

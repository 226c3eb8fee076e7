"""Numerical kernels behind the hotspot methods: pure functions over numpy arrays."""

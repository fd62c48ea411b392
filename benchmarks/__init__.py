"""Benchmarks: `make bench` runs every ``benchmarks/bench_*.py`` as a script and prints its figures."""

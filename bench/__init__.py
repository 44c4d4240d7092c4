"""Benchmarks: `python -m bench [NAME ...]` (`make bench`); each figure beside a baseline from the same run."""

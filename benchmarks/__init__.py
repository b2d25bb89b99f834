"""Benchmarks: figures printed side by side, never timed assertions (``make bench``)."""

"""Performance benchmarks; run each as ``python -m benchmarks.<name>``."""

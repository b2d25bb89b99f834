"""Code generation for cortex-python: the exporter (Node, ``exporter/``) and the generator (``generator/``)."""

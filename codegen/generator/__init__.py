"""The generator: turns the API contract in ``schema/`` into the Python package ``cortex/_generated/``.

Run it as ``python -m codegen.generator --schema schema --out cortex/_generated`` (or ``--check DIR``).
"""

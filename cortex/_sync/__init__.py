# generated from cortex/_async/__init__.py by codegen/twins.py; do not edit
"""Hand-written async modules; ``cortex._sync`` holds their generated blocking twins (codegen/twins.py)."""

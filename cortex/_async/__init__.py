"""Hand-written async modules; ``cortex._sync`` holds their generated blocking twins (codegen/twins.py)."""

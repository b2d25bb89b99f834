"""Embedded implementations of the Cortex Convex functions, one module per Convex module.

Every module in this package is imported by ``cortex.embedded.registry.handlers()``; nothing to register here.
"""

"""Cortex: memory for AI agents."""

"""Transports: how a Convex function call reaches a backend (Convex over HTTP, or the embedded engine)."""

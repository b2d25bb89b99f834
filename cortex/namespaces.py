"""Which class serves each namespace: the generated base, or the hand-written subclass that extends it."""

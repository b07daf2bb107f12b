"""Campaign set-up and lifecycle services (SPEC sections 2 and 8)."""

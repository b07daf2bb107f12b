"""Scoring and results services (SPEC sections 5, 6 and 8): paper score sheets, computing and
storing numbered result versions, the views and exports of a version."""

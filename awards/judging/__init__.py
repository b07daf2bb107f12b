"""Adjudication (SPEC sections 5.2-5.6): conflicts, assignment, scorecards and rounds."""

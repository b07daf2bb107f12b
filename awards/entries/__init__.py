"""Department nominations (SPEC section 5.1): drafts, autosave, attachments, submission
snapshots, eligibility and the judges' pack."""

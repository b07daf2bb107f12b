"""Publication (SPEC sections 2 and 7): publishing and correcting results, the signed audit
bundle, the campaign signing keys and what may be read before publication."""

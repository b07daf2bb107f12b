"""Staff accounts: creating users and invitations, signing in with a per-account throttle,
and server-side sessions that signing out revokes."""

"""Signing in: fixed tokens, API keys, generated tokens and OAuth."""

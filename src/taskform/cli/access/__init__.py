"""Commands about reaching a portal: login, logout (OAuth refresh tokens), probe."""

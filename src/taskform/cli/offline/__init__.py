"""Commands that never touch the network: validate, schema, show, calendar."""

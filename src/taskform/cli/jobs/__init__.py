"""Commands that run tasks now and read their runs: run, runs."""

"""The Sharing API surface under /sharing/rest: handlers, task records, accounts and tokens,
active-task limits."""

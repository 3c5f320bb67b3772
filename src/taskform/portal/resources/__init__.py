"""The REST resources the client reads and writes: task lists, task writes, run jobs, and
the codec between portal JSON and model values."""

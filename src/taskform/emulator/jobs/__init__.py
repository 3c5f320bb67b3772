"""Jobs the emulator runs: Notebook Server ``executeNotebook`` jobs, GP ``submitJob`` jobs and
the scheduled runs of active tasks. ``board`` holds the jobs and the outcomes tests ask for,
``scheduler`` records runs when a task's ``nextStart`` passes on the emulator clock."""

"""``python -m taskform.emulator``: the same command as ``taskform emulator``."""

from .command import emulator

if __name__ == "__main__":
    emulator(prog_name="python -m taskform.emulator")

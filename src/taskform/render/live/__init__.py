"""Views of the live portal: drift reports, status rows, run results and run histories."""

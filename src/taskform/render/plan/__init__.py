"""Views of a plan and an apply report: text, Markdown and the schedule diff."""

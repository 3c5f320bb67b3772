"""``taskform calendar`` views: the HTML page, iCalendar and the Markdown heat map."""

"""How a request travels: one HTTP exchange, retries, throttling, deadlines and thread pools."""

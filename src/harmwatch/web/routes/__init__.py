"""Route handlers, grouped by audience: sign-in, pages, administration and the JSON API."""

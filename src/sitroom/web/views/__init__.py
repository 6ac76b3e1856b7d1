"""Read models shared by the JSON API and the pages: one dict for both."""

"""The CI log reducer: a failed log to the lines that explain it, and their explanation."""

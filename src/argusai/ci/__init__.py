"""CI failure analysis: log reduction (pure code) and, later, explanation and the API."""

"""Talking to ArgusAI in a pull request: commands, thread answers, learning from dismissals."""

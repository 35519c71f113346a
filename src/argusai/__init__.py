"""ArgusAI: a self-hosted GitHub App that puts LLMs to work on pull requests."""

__version__ = "0.1.0"

"""The GitHub CI explainer: a failed workflow run, its logs explained, one comment."""

"""The GitHub Action: ``argus action run`` reviews the pull request of the workflow's event
through the API with the workflow's ``GITHUB_TOKEN`` (the App's posting path, ``publish``),
and ``argus action init`` writes the workflow that runs it (``action.yml`` at the root)."""

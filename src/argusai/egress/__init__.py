"""Calling URLs that someone gave us: the SSRF guard, signed JSON POSTs, secrets at rest.

Below the features (the analysis API's callbacks and the notifications both use it), beside
the other edges; it imports no feature.
"""

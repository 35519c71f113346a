"""Code context for a review: enclosing scopes, definitions used, assembled within a budget.

Pure: the caller hands in file texts (fetched elsewhere); nothing here does I/O.
"""

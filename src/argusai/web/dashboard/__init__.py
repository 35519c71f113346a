"""``/dashboard``: what ArgusAI did, what it cost, what was accepted, what is stuck.

Server-rendered pages (Jinja, inline SVG charts, no JavaScript) behind "Sign in with
GitHub" or a one-time local link; see ``README.md`` ("Dashboard"). Modules:
``session`` (the sealed cookie), ``access`` (who sees what), ``signin`` (the OAuth flow),
``pages`` and ``actions`` (the routes), ``figures``/``drilldown``/``work`` (the data),
``charts`` and ``render`` (the drawing).
"""

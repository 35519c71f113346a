"""The multi-tenant CI analysis API: tenants, keys, tiers, quotas, callbacks, analyses, routes."""

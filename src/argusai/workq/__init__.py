"""One durable work queue for every kind of work (reviews, CI runs, analyses, scout items).

A work item is a database row with a status, attempts, a lease (owner + expiry, pushed
forward by a heartbeat), a not-before time, the last error and, past its retry budget, a
dead letter. Each feature declares its *kinds* (:class:`~argusai.workq.kinds.WorkKind`):
the table, the handler, and the hooks it needs; this package owns the one state machine,
the one runner that maps outcomes (retry, wait, fail, supersede, dead letter), the one
sweeper and the one dead-letter store.
"""

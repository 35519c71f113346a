"""Notifications: dead letters, failed reviews, critical findings, CI explanations, scout
runs and tenants' quotas, sent to Slack, Discord, email or a signed JSON webhook.

Below the features, which emit through :func:`argusai.notify.emit.emit` with an event from
:mod:`argusai.notify.events`; routes pick the channels, the ``notification`` work kind sends
(retries, dead letters), :mod:`~argusai.notify.emit` deduplicates and builds digests.
"""

"""Outbound webhooks: a run's events, as one audience may see them, posted to a URL.

``service`` (subscribe, the delivery log, redeliver), ``store`` (the SQL tables),
``follower`` (the log follower that fills the outbox), ``sender`` (sends what is due, with
retries), ``formats`` (Standard Webhooks JSON and chat messages), ``signature`` (Standard
Webhooks signing) and ``addresses`` (which URLs may be called at all).
"""

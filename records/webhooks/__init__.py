"""Signed webhooks for a school's systems (Standard Webhooks), through a transactional outbox.

Why an outbox written by `post_save`/`post_delete` receivers (receivers.py) rather than the
signals of records/signals.py: those are sent on commit, after the transaction, so a crash or a
Redis outage between commit and enqueue would lose the event. Django's model signals run inside
the transaction of the write, whatever path made it (service, page, API, Django admin), so the
WebhookDelivery rows commit or roll back with the change itself. Enqueueing the delivery task
happens on commit; if the broker is down, the row waits for the periodic sweep (tasks.py).
"""

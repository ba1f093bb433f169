from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "records"
    verbose_name = "Classes, students and attendance"

    def ready(self) -> None:
        from records import live, signals

        # After commit, every mark and change reaches the teacher's page and the dashboard.
        signals.attendance_marked.connect(live.broadcast_record, dispatch_uid="live.marked")
        signals.attendance_changed.connect(live.broadcast_record, dispatch_uid="live.changed")
        signals.session_closed.connect(live.broadcast_session, dispatch_uid="live.closed")

        # --- webhooks (issue 8): outbox rows written inside each write's transaction.
        from records.webhooks import receivers

        receivers.connect()

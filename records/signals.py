"""What records tells the rest of the platform, always after the transaction commits.

`records` never imports its listeners: the live feed (records/consumers.py) and recognition
(recognition/receivers.py, the one place it listens) connect here. Every signal is sent from
`transaction.on_commit`, so a rolled-back write never announces itself.
"""

from django.dispatch import Signal

# kwargs: record (AttendanceRecord): a student's first mark in a session.
attendance_marked = Signal()
# kwargs: record (AttendanceRecord), change (AttendanceChange).
attendance_changed = Signal()
# kwargs: session (ClassSession).
session_closed = Signal()

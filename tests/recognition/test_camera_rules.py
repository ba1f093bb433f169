"""When a face on the camera becomes a check-in (pure rules; no camera, no database)."""

from recognition.camera import CheckInTracker
from recognition.engine.types import Match

ADA = "ada"


def accept(label=ADA, distance=0.3):
    return Match(label=label, distance=distance, runner_up_distance=0.9, decision="accept")


def suggest(label=ADA):
    return Match(label=label, distance=0.5, runner_up_distance=0.9, decision="suggest")


STRANGER = Match(label=None, distance=0.8, runner_up_distance=None, decision="unknown")


def test_one_matching_frame_never_checks_a_student_in():
    tracker = CheckInTracker()
    assert tracker.observe([accept()]).confirmed == []


def test_a_student_matched_in_two_of_three_frames_is_checked_in_once():
    tracker = CheckInTracker()
    tracker.observe([accept()])
    tracker.observe([])
    verdict = tracker.observe([accept()])
    assert [m.label for m in verdict.confirmed] == [ADA]
    assert tracker.observe([accept()]).confirmed == []  # already in


def test_matches_further_apart_than_the_window_do_not_add_up():
    tracker = CheckInTracker()
    tracker.observe([accept()])
    tracker.observe([])
    tracker.observe([])
    assert tracker.observe([accept()]).confirmed == []


def test_an_identical_frame_is_not_counted_twice():
    tracker = CheckInTracker()
    assert not tracker.is_repeat(b"frame-1")
    assert tracker.is_repeat(b"frame-1")
    assert not tracker.is_repeat(b"frame-2")


def test_a_stranger_is_counted_and_never_named():
    verdict = CheckInTracker().observe([STRANGER, STRANGER])
    assert verdict.unknown == 2
    assert verdict.confirmed == verdict.suggested == []


def test_an_uncertain_match_is_suggested_once_and_a_rejection_sticks():
    tracker = CheckInTracker()
    assert [m.label for m in tracker.observe([suggest()]).suggested] == [ADA]
    assert tracker.observe([suggest()]).suggested == []
    tracker.settle(ADA, confirmed=False)
    assert tracker.observe([suggest()]).suggested == []


def test_a_confirmed_suggestion_is_checked_in():
    tracker = CheckInTracker()
    tracker.observe([suggest()])
    tracker.settle(ADA, confirmed=True)
    assert tracker.observe([accept()]).confirmed == []
    assert ADA in tracker.checked_in

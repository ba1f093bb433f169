from accounts.models import Organisation
from recognition.engine.index import DEFAULT_ACCEPT, DEFAULT_SUGGEST


def test_a_new_school_starts_with_the_measured_recognition_thresholds():
    """accounts cannot import the engine (it sits below it), so the numbers are repeated: this
    keeps them the same."""
    fields = Organisation._meta
    assert fields.get_field("accept_threshold").default == DEFAULT_ACCEPT
    assert fields.get_field("suggest_threshold").default == DEFAULT_SUGGEST
    assert fields.get_field("biometrics_enabled").default is False

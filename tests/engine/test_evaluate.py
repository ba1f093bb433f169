"""evaluate(): the protocol's JSON on a small slice of Yale, and the command around it."""

import json

import pytest
from django.core.management import call_command

from recognition.engine.evaluate import evaluate, format_table
from recognition.engine.index import DEFAULT_ACCEPT

pytestmark = pytest.mark.faces

RATES = ("detection_rate", "rank1", "tar", "far", "misid", "tar_at_far_target")
KEYS = {
    "engine",
    "dataset",
    "identities",
    "images",
    "splits",
    "threshold",
    "tar_at_far_target_threshold",
    "frame_ms_p50",
    "frame_ms_p95",
    "enrol_ms_per_image",
    *RATES,
}


@pytest.fixture(scope="module")
def small_yale(faces_dir, tmp_path_factory):
    """Six Yale people, eight photos each (symlinks), plus entries the loader must ignore."""
    root = tmp_path_factory.mktemp("yale-small")
    for number in range(1, 7):
        source = faces_dir / "yale" / f"subject{number:02d}"
        target = root / source.name
        target.mkdir()
        for photo in sorted(source.glob("*.gif"))[:8]:
            (target / photo.name).symlink_to(photo)
        (target / "notes.txt").write_text("not an image")
    (root / "_excluded").mkdir()
    (root / ".hidden").mkdir()
    return root


def test_evaluate_reports_every_key_in_range(small_yale):
    done = []
    result = evaluate(small_yale, splits=1, progress=lambda i, n: done.append((i, n)))
    assert set(result) >= KEYS
    assert (result["identities"], result["images"], result["splits"]) == (6, 48, 1)
    assert result["engine"] == "default"
    assert all(0.0 <= result[key] <= 1.0 for key in RATES)
    assert result["detection_rate"] == 1.0
    assert result["rank1"] >= 0.9
    assert result["threshold"] == DEFAULT_ACCEPT
    assert result["frame_ms_p50"] <= result["frame_ms_p95"]
    assert done[-1] == (48, 48)
    json.dumps(result, allow_nan=False)
    assert "rank-1" in format_table(result)


def test_baseline_evaluates_without_rejection(small_yale):
    result = evaluate(small_yale, engine="baseline", splits=2, seed=3)
    assert result["engine"] == "baseline"
    assert result["threshold"] is None  # the seed accepted every face
    assert result["far"] == 1.0 or result["stranger_probes"] == 0


def test_evaluate_recognition_command_writes_the_json(small_yale, tmp_path, capsys):
    out = tmp_path / "result.json"
    call_command(
        "evaluate_recognition",
        "--dataset",
        str(small_yale),
        "--engine",
        "baseline",
        "--splits",
        "1",
        "--json",
        str(out),
    )
    result = json.loads(out.read_text())
    assert set(result) >= KEYS
    assert "rank-1" in capsys.readouterr().out

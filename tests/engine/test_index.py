"""FaceIndex: decisions, candidate sets, and the .npz file that must come back identical."""

import math

import numpy as np
import pytest

from recognition.engine.errors import ModelFileError
from recognition.engine.index import DEFAULT_ACCEPT, DEFAULT_SUGGEST, FaceIndex


def unit(rng, n, dim=128):
    vectors = rng.normal(size=(n, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


@pytest.fixture
def index():
    rng = np.random.default_rng(0)
    centres = unit(rng, 20)
    embeddings = np.repeat(centres, 5, axis=0) + rng.normal(0, 0.02, (100, 128))
    labels = [f"student-{i:02d}" for i in range(20) for _ in range(5)]
    return FaceIndex.fit(
        embeddings,
        labels,
        engine_name="default",
        engine_version="test-v1",
        metadata={"organisation": "school-a", "version": 3},
    )


def near(index, label, offset):
    """A probe at `offset` from the first embedding of `label`, away from the others."""
    row = index._embeddings[index._labels == label][0]
    direction = np.zeros_like(row)
    direction[0] = 1.0
    return (row + offset * direction)[None, :]


def test_nearest_label_with_its_distance_and_runner_up(index):
    [match] = index.query(near(index, "student-07", 0.1), accept=0.45, suggest=0.55)
    assert match.label == "student-07"
    assert match.decision == "accept"
    assert match.distance == pytest.approx(0.1, abs=0.02)
    assert match.runner_up_distance > 1.0  # random unit vectors are ~1.4 apart


def test_decisions_at_the_thresholds(index):
    probe = near(index, "student-03", 0.5)
    [free] = index.query(probe, accept=math.inf, suggest=math.inf)
    d = free.distance

    def decide(accept, suggest):
        [match] = index.query(probe, accept=accept, suggest=suggest)
        return match.decision, match.label

    assert decide(d, d + 0.1) == ("accept", "student-03")  # distance <= accept
    assert decide(d - 0.01, d) == ("suggest", "student-03")  # accept < distance <= suggest
    assert decide(d - 0.02, d - 0.01) == ("unknown", None)  # a stranger is never named


def test_exact_threshold_distance_is_accepted(index):
    probe = index._embeddings[:1]
    [match] = index.query(probe, accept=0.0, suggest=0.0)
    assert match.distance == 0.0
    assert match.decision == "accept"


def test_a_stranger_gets_no_label(index):
    stranger = unit(np.random.default_rng(99), 1)
    [match] = index.query(stranger, accept=DEFAULT_ACCEPT, suggest=DEFAULT_SUGGEST)
    assert match.decision == "unknown"
    assert match.label is None
    assert math.isfinite(match.distance)


def test_restricted_query_never_returns_a_label_outside_the_candidates(index):
    rng = np.random.default_rng(3)
    probes = np.concatenate([index._embeddings, unit(rng, 50)])
    candidates = {"student-01", "student-02", "student-19", "not-in-index"}
    matches = index.query(probes, accept=10.0, suggest=10.0, candidates=candidates)
    assert len(matches) == len(probes)
    assert {m.label for m in matches} <= candidates
    own = index.query(
        near(index, "student-05", 0.0), accept=10, suggest=10, candidates={"student-01"}
    )
    assert own[0].label == "student-01"


def test_runner_up_is_another_label_even_with_many_photos_per_label(index):
    [match] = index.query(index._embeddings[:1], accept=1, suggest=1)
    others = index._embeddings[index._labels != index._labels[0]]
    expected = float(np.linalg.norm(others - index._embeddings[0], axis=1).min())
    assert match.runner_up_distance == pytest.approx(expected, rel=1e-4)


def test_empty_candidate_set_and_empty_index_answer_unknown(index):
    [match] = index.query(index._embeddings[:1], accept=1, suggest=1, candidates=[])
    assert match == match.__class__(None, math.inf, None, "unknown")
    empty = FaceIndex.fit(np.zeros((0, 128)), [], engine_name="default", engine_version="v")
    assert empty.size == 0
    assert empty.labels == []
    matches = empty.query(unit(np.random.default_rng(1), 3), accept=0.45, suggest=0.55)
    assert [m.decision for m in matches] == ["unknown"] * 3


def test_single_label_index_has_no_runner_up():
    single = FaceIndex.fit(np.ones((2, 4)), ["a", "a"], engine_name="e", engine_version="v")
    [match] = single.query(np.ones((1, 4)), accept=1, suggest=1)
    assert match.label == "a"
    assert match.runner_up_distance is None


def test_k5_majority_vote_like_the_seed():
    embeddings = np.array([[0.0], [1.0], [1.1], [1.2], [5.0], [5.1]])
    labels = ["near", "b", "b", "b", "c", "c"]
    index = FaceIndex.fit(embeddings, labels, engine_name="baseline", engine_version="v", k=5)
    [match] = index.query(np.array([[0.1]]), accept=math.inf, suggest=math.inf)
    assert match.label == "b"  # three of the five nearest, although "near" is nearest
    assert match.distance == pytest.approx(0.9)
    assert match.runner_up_distance == pytest.approx(0.1)


def test_properties(index):
    assert index.size == 100
    assert len(index.labels) == 20
    assert index.engine_name == "default"
    assert index.engine_version == "test-v1"
    assert index.metadata == {"organisation": "school-a", "version": 3}


def test_save_then_load_gives_identical_query_results(index, tmp_path):
    path = tmp_path / "v3.npz"
    index.save(path)
    loaded = FaceIndex.load(path)
    probes = np.concatenate([index._embeddings[::7], unit(np.random.default_rng(4), 10)])
    for candidates in (None, {"student-01", "student-04"}):
        assert loaded.query(probes, accept=0.45, suggest=0.55, candidates=candidates) == (
            index.query(probes, accept=0.45, suggest=0.55, candidates=candidates)
        )
    assert loaded.metadata == index.metadata
    assert loaded.labels == index.labels
    assert (loaded.engine_name, loaded.engine_version, loaded.k) == ("default", "test-v1", 1)
    assert [p.name for p in tmp_path.iterdir()] == ["v3.npz"]  # no temp file left behind


def test_saved_file_holds_no_pickles(index, tmp_path):
    path = tmp_path / "v.npz"
    index.save(path)
    with np.load(path, allow_pickle=False) as data:
        assert data["embeddings"].dtype == np.float32
        assert data["labels"].dtype.kind == "U"
        assert all(data[name].dtype != object for name in data.files)


def test_truncated_index_file_is_refused(index, tmp_path):
    path = tmp_path / "v.npz"
    index.save(path)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(ModelFileError, match="truncated or corrupt"):
        FaceIndex.load(path)


def test_tampered_index_file_is_refused(index, tmp_path):
    path = tmp_path / "v.npz"
    index.save(path)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # inside the embeddings
    path.write_bytes(bytes(data))
    with pytest.raises(ModelFileError):
        FaceIndex.load(path)


def test_arrays_swapped_with_a_valid_zip_fail_the_checksum(index, tmp_path):
    path = tmp_path / "v.npz"
    index.save(path)
    with np.load(path, allow_pickle=False) as data:
        arrays = {name: data[name] for name in data.files}
    arrays["labels"] = np.array(["intruder"] * 100)
    np.savez(path, **arrays)
    with pytest.raises(ModelFileError, match="checksum"):
        FaceIndex.load(path)


def test_a_file_that_is_not_an_index_is_refused(tmp_path):
    path = tmp_path / "other.npz"
    np.savez(path, x=np.zeros(3))
    with pytest.raises(ModelFileError, match="not a face index"):
        FaceIndex.load(path)
    path.write_bytes(b"not a zip at all")
    with pytest.raises(ModelFileError):
        FaceIndex.load(path)

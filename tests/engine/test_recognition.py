"""The default engine on real photos: known faces found, strangers refused, frames of many."""

import cv2
import numpy as np
import pytest

from recognition.engine.engines import get_engine
from recognition.engine.errors import ImageRejected, ModelFileError
from recognition.engine.index import DEFAULT_ACCEPT, DEFAULT_SUGGEST, FaceIndex
from recognition.engine.quality import check_enrolment_photo
from recognition.engine.synthetic import compose_scene, degrade
from recognition.engine.threads import configure_threads
from recognition.engine.weights import verified_yunet
from tests.engine.conftest import photos, read

pytestmark = pytest.mark.faces

STRANGERS = ("subject02", "subject07", "subject11", "subject14")


@pytest.fixture(scope="module")
def yale_split(yale, engine):
    """Five enrolment photos for 11 people; their other photos and 4 strangers' are probes."""
    vectors, labels, known, strangers = [], [], [], []
    for identity, rows in yale.items():
        if identity in STRANGERS:
            strangers.extend(v for _, v in rows)
            continue
        for _, vector in rows[:5]:
            vectors.append(vector)
            labels.append(identity)
        known.extend((identity, v) for _, v in rows[5:])
    index = FaceIndex.fit(
        np.array(vectors), labels, engine_name=engine.name, engine_version=engine.version
    )
    return index, known, strangers


def test_known_people_are_recognised_on_yale(yale_split):
    index, known, _ = yale_split
    matches = index.query(
        np.array([v for _, v in known]), accept=float("inf"), suggest=float("inf")
    )
    right = sum(m.label == identity for m, (identity, _) in zip(matches, known, strict=True))
    assert right / len(known) >= 0.95


def test_stranger_is_rejected_on_yale(yale_split):
    index, _, strangers = yale_split
    matches = index.query(np.array(strangers), accept=DEFAULT_ACCEPT, suggest=DEFAULT_SUGGEST)
    rejected = sum(m.decision != "accept" for m in matches)
    assert rejected / len(strangers) >= 0.95


def test_a_frame_with_three_people_yields_each_matched_to_the_right_person(faces_dir, engine):
    people = ["alan_grant", "madonna", "elton_john"]
    enrolled, portraits = [], []
    for name in people:
        files = photos(faces_dir / "celeb10" / name)
        for path in files[1:6]:
            pairs = engine.analyse(read(path))
            enrolled.append((name, pairs[0][1]))
        image = read(files[0])
        portraits.append((image, engine.detect(image)[0]))
    index = FaceIndex.fit(
        np.array([v for _, v in enrolled]),
        [n for n, _ in enrolled],
        engine_name=engine.name,
        engine_version=engine.version,
    )
    scene, boxes = compose_scene(
        portraits, size=(640, 480), face_heights=[110, 90, 100], rng=np.random.default_rng(1)
    )
    scene = degrade(scene, noise_sigma=3, jpeg_quality=75)
    analysed = engine.analyse(scene)
    assert len(analysed) == 3
    matches = index.query(
        np.array([v for _, v in analysed]), accept=DEFAULT_SUGGEST, suggest=DEFAULT_SUGGEST
    )
    for (face, _), match in zip(analysed, matches, strict=True):
        centre = (face.box[0] + face.box[2] / 2, face.box[1] + face.box[3] / 2)
        placed = next(
            i
            for i, (x, y, w, h) in enumerate(boxes)
            if x <= centre[0] <= x + w and y <= centre[1] <= y + h
        )
        assert match.label == people[placed]


def test_restricted_candidates_never_name_someone_outside_the_class(yale, yale_split):
    index, known, strangers = yale_split
    candidates = {"subject01", "subject03"}
    probes = np.array([v for _, v in known] + strangers)
    matches = index.query(probes, accept=10.0, suggest=10.0, candidates=candidates)
    assert {m.label for m in matches} == candidates


def test_a_one_pixel_image_has_no_face(engine):
    assert engine.detect(np.zeros((1, 1, 3), np.uint8)) == []
    assert engine.analyse(np.zeros((1, 1, 3), np.uint8)) == []
    assert engine.embed(np.zeros((1, 1, 3), np.uint8), []).shape == (0, 128)


def test_blank_frame_gives_an_empty_list_not_an_error(engine):
    assert engine.analyse(np.full((480, 640, 3), 127, np.uint8)) == []


def test_every_single_face_photo_with_a_large_enough_face_is_sharp_enough(faces_dir, engine):
    checked, refused = 0, []
    for dataset in ("celeb10", "yale", "orl"):
        for folder in sorted(p for p in (faces_dir / dataset).iterdir() if p.is_dir()):
            for path in photos(folder)[::3]:  # a third of them keeps the test quick
                image = read(path)
                try:
                    check_enrolment_photo(image, engine.detect(image))
                except ImageRejected as refusal:
                    refused.append((path, refusal.code))
                else:
                    checked += 1
    # Only photos of several people or of small faces (ORL's s2) may be refused; never blur.
    assert {code for _, code in refused} <= {"several_faces", "face_too_small"}, refused
    assert checked > 200


def test_a_heavily_blurred_copy_is_refused_as_too_blurry(faces_dir, engine):
    image = read(photos(faces_dir / "celeb10" / "elton_john")[0])
    face = check_enrolment_photo(image, engine.detect(image))
    blurred = cv2.GaussianBlur(image, (0, 0), 4 * face.box[3] / 128)
    with pytest.raises(ImageRejected) as caught:
        check_enrolment_photo(blurred, [face])
    assert caught.value.code == "too_blurry"


def test_enrolment_refusals_say_why(faces_dir, engine):
    image = read(photos(faces_dir / "celeb10" / "madonna")[0])
    face = engine.detect(image)[0]
    with pytest.raises(ImageRejected, match="No face") as none:
        check_enrolment_photo(image, [])
    assert none.value.code == "no_face"
    with pytest.raises(ImageRejected) as several:
        check_enrolment_photo(image, [face, face])
    assert several.value.code == "several_faces"
    with pytest.raises(ImageRejected) as small:
        check_enrolment_photo(image, [face], min_face_px=face.box[3] + 1)
    assert small.value.code == "face_too_small"


def test_baseline_engine_loads_and_runs(faces_dir):
    baseline = get_engine("baseline")
    image = read(faces_dir / "yale" / "subject01" / "happy.gif")
    analysed = baseline.analyse(image)
    assert len(analysed) == 1
    assert analysed[0][1].shape == (7500,)
    assert baseline.dim == 7500
    assert baseline.k == 5


def test_a_tampered_detector_model_is_refused(tmp_path):
    copy = tmp_path / "yunet.onnx"
    copy.write_bytes(verified_yunet().read_bytes()[:-10] + b"0123456789")
    with pytest.raises(ModelFileError, match="sha256"):
        verified_yunet(copy)


def test_thread_count_is_applied():
    configure_threads(2)
    assert cv2.getNumThreads() == 2
    configure_threads(1)
    assert cv2.getNumThreads() == 1


def test_engine_version_names_both_models(engine):
    assert engine.version == "yunet-2026may+dlib-resnet-v1"
    assert engine.dim == 128

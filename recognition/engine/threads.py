"""How many cores one engine may use, so that one camera cannot take the whole server."""

import os

import cv2
from threadpoolctl import threadpool_limits

THREADS_ENV = "RECOGNITION_THREADS"


def threads_from_env() -> int:
    """RECOGNITION_THREADS, default 1; nonsense falls back to 1 rather than to all cores."""
    try:
        return max(1, int(os.environ.get(THREADS_ENV, "1")))
    except ValueError:
        return 1


def configure_threads(n: int) -> None:
    """Bound OpenCV's pool and any BLAS/OpenMP pool (numpy, scikit-learn) to n threads.

    dlib's descriptor network runs single-threaded on the calling thread and holds the GIL, so
    the embedder uses n helper processes instead (see embed.py) when n > 1.
    """
    n = max(1, int(n))
    cv2.setNumThreads(n)
    threadpool_limits(limits=n)

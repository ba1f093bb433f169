"""The recognition engine: pure Python over numpy, OpenCV, dlib and scikit-learn; no Django."""

"""Typed refusals of the engine: a stable code for programs, a sentence for people."""


class ImageRejected(Exception):
    """An image the engine will not use, with a reason a school admin can act on.

    `code` is one of: empty, not_an_image, unsupported_type, too_large_bytes, too_many_pixels,
    truncated, no_face, several_faces, face_too_small, too_blurry.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __repr__(self) -> str:
        return f"ImageRejected({self.code!r}, {self.message!r})"


class ModelFileError(Exception):
    """A weights or index file that is missing, truncated, corrupt or not the one we expect."""

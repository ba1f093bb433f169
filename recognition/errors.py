"""Refusals of biometric work, with messages an admin can act on."""

from accounts.errors import DomainError, PermissionDenied


class BiometricsOff(PermissionDenied):
    code = "biometrics_off"

    def __init__(self) -> None:
        super().__init__(
            "Face recognition is turned off for this school. A school admin can turn it on in "
            "Face recognition settings; until then attendance is taken by hand."
        )


class ConsentMissing(DomainError):
    code = "consent_required"

    def __init__(self) -> None:
        super().__init__(
            "This student has no active consent for face recognition. Record the consent first; "
            "without it, mark their attendance by hand."
        )


class PhotoRejected(DomainError):
    """An upload refused by the engine (not an image, too large, no face, blurry...)."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message, code=code)

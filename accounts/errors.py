"""Errors that services raise and entry points turn into a 4xx with the message shown."""


class DomainError(Exception):
    """A request the platform refuses for a reason the person can act on."""

    code = "invalid"
    status = 400

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code


class NotFound(DomainError):
    """Does not exist, or belongs to another school: the same answer for both."""

    code = "not_found"
    status = 404


class PermissionDenied(DomainError):
    code = "permission_denied"
    status = 403


class Conflict(DomainError):
    code = "conflict"
    status = 409

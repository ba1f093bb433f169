"""Teachers as the SIS sees them: archived (no login, no classes) and keyed by the SIS's own id.

The login itself belongs to accounts (accounts.services); what ties a teacher to classes and to
the SIS's id (TeacherAssignment, TeacherExternalId) belongs here.
"""

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts import services as account_services
from accounts.errors import Conflict, DomainError
from accounts.models import Membership, Organisation, Role
from records.models import TeacherExternalId

USERNAME_FIXED = "A teacher's username cannot be changed through the API; ask a school admin."
LINKED_TO_ADMIN = "That external id belongs to a school admin, not a teacher."


@transaction.atomic
def teacher_archive(*, teacher: Membership) -> Membership:
    """The teacher can no longer log in and teaches no class; sessions they ran keep their name.

    The assignments are deleted one by one (a queryset delete sends post_delete per row), so
    each is announced to webhooks as a roster change.
    """
    if teacher.role != Role.TEACHER:
        raise DomainError(account_services.NOT_A_TEACHER_LOGIN, code="not_a_teacher")
    teacher.teacher_assignments.all().delete()
    return account_services.member_deactivate(membership=teacher)


@transaction.atomic
def teacher_upsert_by_external_id(
    *,
    organisation: Organisation,
    external_id: str,
    username: str,
    first_name: str,
    last_name: str,
    email: str = "",
    password: str | None = None,
) -> tuple[Membership, bool]:
    """(teacher, created). Created with its external id when unknown (or, when a teacher of this
    school has that username and no external id yet, that teacher is linked); otherwise names
    and email are updated. A new teacher without a password cannot log in until an admin sets
    one."""
    link = (
        TeacherExternalId.objects.filter(organisation=organisation, external_id=external_id)
        .select_related("teacher__user")
        .first()
    )
    if link is not None:
        teacher = link.teacher
        if teacher.role != Role.TEACHER:
            raise Conflict(LINKED_TO_ADMIN)
        if username != teacher.user.username:
            raise Conflict(USERNAME_FIXED, field="username")
        account_services.teacher_update(
            membership=teacher, first_name=first_name, last_name=last_name, email=email
        )
        return teacher, False
    # A teacher an admin made by hand before the SIS knew them is adopted, as an import does.
    adopted = (
        organisation.memberships.filter(
            role=Role.TEACHER, user__username=username, external_id_link__isnull=True
        )
        .select_related("user")
        .first()
    )
    if adopted is not None:
        account_services.teacher_update(
            membership=adopted, first_name=first_name, last_name=last_name, email=email
        )
        _link(organisation, adopted, external_id)
        return adopted, False
    teacher = account_services.member_create(
        organisation=organisation,
        username=username,
        password=password,
        role=Role.TEACHER,
        first_name=first_name,
        last_name=last_name,
        email=email,
    )
    _link(organisation, teacher, external_id)
    return teacher, True


def _link(organisation: Organisation, teacher: Membership, external_id: str) -> None:
    link = TeacherExternalId(organisation=organisation, teacher=teacher, external_id=external_id)
    try:
        link.full_clean()
    except ValidationError as error:
        raise Conflict(next(iter(error.messages)), field="external_id") from error
    link.save()

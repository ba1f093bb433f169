"""Django admin access for a school's admins: corrections and settings, held to their school."""

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q

from accounts.errors import DomainError
from accounts.models import Membership

SCHOOL_STAFF_GROUP = "School staff"
# What a school admin may do in the Django admin; every admin class scopes it to their school.
SCHOOL_STAFF_PERMISSIONS = {
    "accounts": ("view_organisation", "change_organisation", "view_membership"),
    "records": (
        "view_student",
        "change_student",
        "view_schoolclass",
        "change_schoolclass",
        "view_enrollment",
        "view_teacherassignment",
        "view_classsession",
        "view_attendancerecord",
        "change_attendancerecord",
        "view_attendancechange",
    ),
    "recognition": ("view_consent", "view_facemodel"),
}
NOT_AN_ADMIN = "Only a school admin can be given access to the Django admin."


@transaction.atomic
def school_staff_grant(*, membership: Membership) -> None:
    if not membership.is_admin:
        raise DomainError(NOT_AN_ADMIN)
    group, _ = Group.objects.get_or_create(name=SCHOOL_STAFF_GROUP)
    wanted = Q()
    for app_label, codenames in SCHOOL_STAFF_PERMISSIONS.items():
        wanted |= Q(content_type__app_label=app_label, codename__in=codenames)
    group.permissions.set(Permission.objects.filter(wanted))
    user = membership.user
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.groups.add(group)

"""Shape checks for the pages; the services decide what may be saved."""

from collections.abc import Iterable

from django import forms
from django.db.models import QuerySet

from accounts.models import Membership
from records.models import AttendanceStatus, Student


class StudentForm(forms.Form):
    given_name = forms.CharField(max_length=80)
    family_name = forms.CharField(max_length=80)
    student_number = forms.CharField(
        max_length=40, help_text="The school's own number or roll for the student."
    )
    external_id = forms.CharField(
        max_length=128,
        required=False,
        label="External id",
        help_text="Optional: the student information system's id.",
    )


class SchoolClassForm(forms.Form):
    name = forms.CharField(max_length=80)
    external_id = forms.CharField(
        max_length=128,
        required=False,
        label="External id",
        help_text="Optional: the student information system's id.",
    )


class EnrolForm(forms.Form):
    student = forms.ModelChoiceField(queryset=Student.objects.none(), to_field_name="public_id")

    def __init__(self, *args: object, students: QuerySet[Student], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["student"].queryset = students


class TeacherAssignForm(forms.Form):
    teacher = forms.ChoiceField(choices=())

    def __init__(self, *args: object, teachers: Iterable[Membership], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["teacher"].choices = [
            (str(m.user.public_id), m.user.get_full_name() or m.user.username) for m in teachers
        ]


class MarkForm(forms.Form):
    """One tap on the session page: a status button, and the reason box beside it."""

    status = forms.ChoiceField(choices=AttendanceStatus.choices)
    reason = forms.CharField(max_length=200, required=False)


class DailyExportForm(forms.Form):
    date = forms.DateField(required=False, input_formats=["%Y-%m-%d"])


class ReportRangeForm(forms.Form):
    """A report's school days, both inclusive; the report checks the order and the length."""

    start = forms.DateField(required=False, input_formats=["%Y-%m-%d"], label="From")
    end = forms.DateField(required=False, input_formats=["%Y-%m-%d"], label="To")


class ImportUploadForm(forms.Form):
    bundle = forms.FileField(
        label="OneRoster 1.2 CSV bundle (.zip)",
        help_text="A zip with manifest.csv, orgs.csv, academicSessions.csv, courses.csv, "
        "classes.csv, users.csv and enrollments.csv.",
    )

from django import forms

from accounts.models import ApiKeyScope


class TeacherForm(forms.Form):
    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150)
    email = forms.EmailField(required=False)
    username = forms.CharField(max_length=150, help_text="What they type to log in.")
    password = forms.CharField(
        widget=forms.PasswordInput, min_length=8, help_text="At least 8 characters; not common."
    )


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=80, help_text="Which system uses it, e.g. “SIS sync”.")
    scope = forms.ChoiceField(
        choices=[
            (ApiKeyScope.READ, "Read only: rosters and attendance out"),
            (ApiKeyScope.READ_WRITE, "Read and write: also rosters in, sessions, status changes"),
        ],
        initial=ApiKeyScope.READ,
        widget=forms.RadioSelect,
    )

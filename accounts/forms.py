from django import forms


class TeacherForm(forms.Form):
    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150)
    email = forms.EmailField(required=False)
    username = forms.CharField(max_length=150, help_text="What they type to log in.")
    password = forms.CharField(
        widget=forms.PasswordInput, min_length=8, help_text="At least 8 characters; not common."
    )

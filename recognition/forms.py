from django import forms

from recognition.models import Consent


class ConsentForm(forms.Form):
    given_by = forms.CharField(
        max_length=120, label="Given by", help_text=Consent._meta.get_field("given_by").help_text
    )
    given_on = forms.DateField(label="Date given", widget=forms.DateInput(attrs={"type": "date"}))
    evidence = forms.CharField(
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=Consent._meta.get_field("evidence").help_text,
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotoUploadForm(forms.Form):
    photos = forms.FileField(
        widget=MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/gif,image/bmp"}),
        help_text="One or more photos with this student's face clearly visible, alone.",
    )


class BiometricsForm(forms.Form):
    enabled = forms.BooleanField(required=False)

"""The admin's form for a webhook endpoint: shape only; the service checks the host."""

from django import forms

from records.models import WebhookEvent


class WebhookEndpointForm(forms.Form):
    url = forms.URLField(
        label="URL",
        max_length=500,
        assume_scheme="https",
        help_text="Where your system receives the events, e.g. https://sis.example.org/hooks.",
    )
    events = forms.MultipleChoiceField(
        choices=WebhookEvent.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="Send only these events.",
    )

from django.urls import path

from recognition import views

urlpatterns = [
    path("recognition/", views.model_page, name="model_page"),
    path("recognition/status.json", views.model_status, name="model_status"),
    path("recognition/biometrics/", views.biometrics_toggle, name="biometrics_toggle"),
    path("recognition/rebuild/", views.model_rebuild, name="model_rebuild"),
    path("students/<uuid:public_id>/faces/", views.student_faces, name="student_faces"),
    path("students/<uuid:public_id>/consent/", views.consent_create, name="consent_create"),
    path(
        "students/<uuid:public_id>/consent/withdraw/",
        views.consent_withdraw,
        name="consent_withdraw",
    ),
    path("students/<uuid:public_id>/photos/", views.photo_upload, name="photo_upload"),
    path("photos/<uuid:public_id>/image.jpg", views.photo_image, name="photo_image"),
    path("photos/<uuid:public_id>/delete/", views.photo_delete, name="photo_delete"),
]

from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import views, views_api_keys

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("teachers/", views.teacher_list, name="teacher_list"),
    path("teachers/new/", views.teacher_create, name="teacher_create"),
    path("api-keys/", views_api_keys.api_key_list, name="api_key_list"),
    path("api-keys/new/", views_api_keys.api_key_create, name="api_key_create"),
    path("api-keys/<uuid:public_id>/revoke/", views_api_keys.api_key_revoke, name="api_key_revoke"),
]

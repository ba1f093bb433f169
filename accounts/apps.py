from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Schools and people"

    def ready(self) -> None:
        from accounts import signals  # noqa: F401  (connects its receivers)

from django.conf import settings


def test_healthz_reports_database_redis_and_celery(db, client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"].startswith("ok")
    if settings.REDIS_URL:
        assert body["redis"] == "ok"
    else:
        assert body["redis"] == "embedded"
        assert body["celery"] == "eager"

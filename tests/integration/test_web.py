from litestar.testing import TestClient

from cobro.bootstrap import bootstrap, load_settings
from cobro.entrypoints.web.app import create_app


def test_health_and_readiness_answer_on_a_migrated_database(database_url):
    container = bootstrap(load_settings(database_url=database_url))
    with TestClient(create_app(container)) as client:
        assert client.get("/healthz").json()["status"] == "ok"
        ready = client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["revision"] == "0005"


def test_readiness_fails_on_an_unmigrated_database(tmp_path):
    container = bootstrap(load_settings(database_url=f"sqlite:///{tmp_path / 'empty.db'}"))
    with TestClient(create_app(container)) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert "database at None" in ready.json()["reason"]

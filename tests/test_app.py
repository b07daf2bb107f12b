"""The factory, configuration, access rules and security headers."""

import pytest
from flask import Flask

from awards import create_app
from awards.config import ConfigError
from awards.web.access import MissingAccessRule, check_access_rules, public, roles


@pytest.mark.fresh_app
def test_route_without_access_rule_stops_start(app):
    @app.route("/forgotten")
    def forgotten():
        return "oops"

    with pytest.raises(MissingAccessRule, match="forgotten"):
        check_access_rules(app)


def test_factory_refuses_to_start_with_an_undeclared_route(monkeypatch, tmp_path):
    from awards import factory

    original = factory.register_blueprints

    def with_bad_route(app: Flask) -> None:
        original(app)
        app.add_url_rule("/leak", "leak", lambda: "secret")

    monkeypatch.setattr(factory, "register_blueprints", with_bad_route)
    with pytest.raises(MissingAccessRule, match="leak"):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"})


def test_every_registered_route_declares_a_rule(app):
    for endpoint, view in app.view_functions.items():
        if endpoint != "static":
            assert hasattr(view, "_access_rule"), endpoint


@pytest.mark.fresh_app
def test_declared_rules_pass(app):
    @app.route("/open")
    @public
    def open_view():
        return "ok"

    @app.route("/closed")
    @roles("organiser")
    def closed_view():
        return "ok"

    check_access_rules(app)


def test_production_refuses_to_start_without_secrets(monkeypatch, tmp_path):
    monkeypatch.setenv("AWARDS_ENV", "production")
    import awards.config as config

    for name in ("SECRET_KEY", "CODE_PEPPER", "SIGNING_KEY_SECRET"):
        monkeypatch.setattr(config.ProductionConfig, name, None)
    with pytest.raises(ConfigError, match="SECRET_KEY.*AWARDS_CODE_PEPPER.*AWARDS_SIGNING_KEY.*AWARDS_POINTER_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"})


def test_production_starts_with_secrets(monkeypatch, tmp_path):
    monkeypatch.setenv("AWARDS_ENV", "production")
    import awards.config as config

    monkeypatch.setattr(config.ProductionConfig, "SECRET_KEY", "s" * 32)
    monkeypatch.setattr(config.ProductionConfig, "CODE_PEPPER", "p" * 32)
    monkeypatch.setattr(config.ProductionConfig, "SIGNING_KEY_SECRET", "k" * 32)
    monkeypatch.setattr(config.ProductionConfig, "POINTER_KEY", "q" * 32)
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"})
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_security_headers(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "HX-Request" in response.headers["Vary"]


def test_pages_have_no_inline_script(client):
    html = client.get("/").get_data(as_text=True)
    import re

    for tag in re.findall(r"<script[^>]*>", html):
        assert "src=" in tag, tag
    assert " style=" not in html and "onclick" not in html


def test_post_without_csrf_token_is_refused(app, organiser):
    raw = app.test_client()
    response = raw.post("/signin", data={"username": "olivia", "password": "x" * 20})
    assert response.status_code == 400
    assert b"expired" in response.data


def test_htmx_request_gets_fragment_error(client):
    response = client.get("/no-such-page", headers={"HX-Request": "true"})
    assert response.status_code == 404
    assert b"<html" not in response.data and b"Page not found" in response.data


def test_json_error(client):
    response = client.get("/no-such-page", headers={"Accept": "application/json"})
    assert response.status_code == 404 and response.json["status"] == 404


def test_health(client):
    assert client.get("/healthz").json == {"status": "ok"}

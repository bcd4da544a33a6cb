"""The demo page's Django side: the page, the allow-listed assets, and the people directory."""
from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser():
    return Client(HTTP_HOST="localhost")


def test_the_page_loads_its_modules_and_hides_the_demo_password_in_production(browser):
    response = browser.get("/")
    assert response.status_code == 200
    page = response.content.decode()
    assert '<script type="module" src="/web/demo/app.js">' in page
    assert "demo-password" not in page


@pytest.mark.parametrize("path, content_type", [
    ("/web/demo/app.js", "text/javascript"),
    ("/web/client/index.js", "text/javascript"),
    ("/web/react/index.js", "text/javascript"),
    ("/web/demo/styles.css", "text/css"),
    ("/web/demo/icon.svg", "image/svg+xml"),
])
def test_assets_are_served_as_modules_and_revalidated(browser, path, content_type):
    response = browser.get(path)
    assert response.status_code == 200
    assert response["Content-Type"].startswith(content_type)
    assert response["Cache-Control"] == "no-cache"


@pytest.mark.parametrize("path", [
    "/web/package.json",
    "/web/setup.sh",
    "/web/views.py",
    "/web/tests/helpers.js",
    "/web/node_modules/react/index.js",
    "/web/client/../setup.sh",
    "/web/client/%2e%2e/setup.sh",
    "/web/client/missing.js",
    "/web/demo/index.html",
])
def test_nothing_outside_the_asset_folders_is_served(browser, path):
    assert browser.get(path).status_code == 404


def test_assets_refuse_writes(browser):
    assert browser.post("/web/demo/app.js").status_code == 405
    assert browser.post("/").status_code == 405


@pytest.fixture
def people(django_user_model):
    make = django_user_model.objects.create_user
    return {
        "me": make(username="carol", first_name="Carol"),
        "dan": make(username="dan", first_name="Dan", last_name="Dawson"),
        "erin": make(username="erin", first_name="Erin"),
        "gone": make(username="gone", first_name="Dan", is_active=False),
    }


def test_people_lists_active_others_and_filters_by_name(people):
    api = APIClient(HTTP_HOST="localhost")
    api.force_authenticate(people["me"])
    everyone = api.get("/demo/people/").json()["people"]
    assert [person["username"] for person in everyone] == ["dan", "erin"]
    assert everyone[0] == {"id": people["dan"].pk, "username": "dan", "full_name": "Dan Dawson", "avatar": None}
    assert [p["username"] for p in api.get("/demo/people/", {"q": "daws"}).json()["people"]] == ["dan"]
    assert api.get("/demo/people/", {"q": "nobody"}).json()["people"] == []


def test_people_takes_odd_queries_without_error(people):
    api = APIClient(HTTP_HOST="localhost")
    api.force_authenticate(people["me"])
    for query in ["x" * 10_000, "'; DROP TABLE auth_user; --", "👨‍👩‍👧‍👦", "%_\\"]:
        response = api.get("/demo/people/", {"q": query})
        assert response.status_code == 200 and response.json()["people"] == []


def test_people_requires_authentication():
    response = APIClient(HTTP_HOST="localhost").get("/demo/people/")
    assert response.status_code == 401

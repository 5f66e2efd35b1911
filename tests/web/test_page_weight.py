"""Every console page, with what it loads (stylesheets, images), stays under 100 kB: a cheap
phone on a slow rural link opens it in seconds. No page loads a script."""

from __future__ import annotations

import re

import pytest

from tests.web.conftest import sign_in

LIMIT = 100_000
_LOADS = re.compile(r'<(?:link[^>]*href|img[^>]*src|script[^>]*src|source[^>]*src)="([^"]+)"')


def _weight(client, path: str) -> tuple[int, list[str]]:
    response = client.get(path)
    assert response.status_code == 200, path
    html = response.data
    loaded = _LOADS.findall(response.text)
    assert "<script" not in response.text, f"{path} loads a script"
    total = len(html)
    for url in loaded:
        assert url.startswith("/"), f"{path} loads {url} from another site"
        body = _fetch(client, url)
        total += len(body)
        for inner in re.findall(rb"url\(([^)]+)\)", body):
            total += len(_fetch(client, inner.decode().strip("'\"")))
    return total, loaded


def _fetch(client, url: str) -> bytes:
    with client.get(url) as response:
        assert response.status_code == 200, url
        return response.data


@pytest.mark.parametrize(
    ("who", "path"),
    [
        (None, "/login"),
        ("teacher@ie.pe", "/"),
        ("teacher@ie.pe", "/classes/{own_class}"),
        ("teacher@ie.pe", "/students/{own_student}"),
        ("teacher@ie.pe", "/classes/{own_class}/questions"),
        ("teacher@ie.pe", "/classes/{own_class}/needs-help"),
        ("creator@ie.pe", "/content"),
        ("admin@ie.pe", "/admin"),
        ("admin@ie.pe", "/admin/users"),
        ("admin@ie.pe", "/admin/schools"),
        ("admin@ie.pe", "/admin/access-log"),
        ("admin@ie.pe", "/admin/students"),
    ],
)
def test_a_page_and_what_it_loads_stay_under_100_kb(shared_console, who, path):
    app, data = shared_console
    client = app.test_client()
    if who:
        sign_in(client, who)
    total, loaded = _weight(client, path.format(**data.__dict__))
    assert loaded, "the page should load its stylesheet"
    assert total < LIMIT, f"{path} weighs {total} bytes"

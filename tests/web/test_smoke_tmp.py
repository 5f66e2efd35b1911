from tests.web.conftest import sign_in


def test_pages(console):
    app, data = console
    c = app.test_client()
    r = sign_in(c, "teacher@ie.pe")
    assert r.status_code == 302, r.text
    for path in [
        "/",
        f"/classes/{data.own_class}",
        f"/students/{data.own_student}",
        f"/classes/{data.own_class}/questions",
        f"/classes/{data.own_class}/export.csv",
    ]:
        r = c.get(path)
        assert r.status_code == 200, (path, r.text[:3000])
    a = app.test_client()
    sign_in(a, "admin@ie.pe")
    for path in ["/admin", "/admin/users", "/admin/schools", "/admin/access-log", "/content"]:
        r = a.get(path)
        assert r.status_code == 200, (path, r.text[:3000])

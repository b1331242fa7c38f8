from tests.conftest import login


def test_login_page_renders_in_norwegian_by_default(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert '<html lang="nb">' in response.get_data(as_text=True)


def test_reviewer_signs_in_and_sees_front_page(client, make, db):
    user = make.user(role="reviewer")
    db.session.commit()
    response = login(client, user.email)
    assert response.status_code == 302
    assert client.get("/").status_code == 200

"""Languages and large-font mode: Chinese by default, English by the switch, 适老化 persists."""
from learning.extensions import db
from learning.models import Member
from tests.factories import make_member
from tests.learning.pages_support import login_page, post_form, role_member, text


def test_login_page_is_chinese_by_default(client):
    html = text(client.get("/login"))
    assert '<html lang="zh-CN">' in html
    assert "登录先锋学习" in html and "用户名或手机号" in html


def test_language_switch_shows_the_login_page_in_english(client):
    response = client.get("/language/en", query_string={"next": "/login"})
    assert response.status_code == 302 and response.location.endswith("/login")
    html = text(client.get("/login"))
    assert '<html lang="en">' in html
    assert "Log in to Pioneer Learning" in html and "登录先锋学习" not in html


def test_members_page_in_both_languages(client, page_login, tree):
    make_member(tree.branch1, name="张建国", gender="male")
    organiser = role_member(tree, "organiser", tree.branch1)
    db.session.commit()
    login_page(client, page_login, organiser)
    zh = text(client.get("/members"))
    assert "党员类型" in zh and "正式党员" in zh and ">男<" in zh
    client.get("/language/en")
    en = text(client.get("/members"))
    assert "Member type" in en and "Full member" in en and ">Male<" in en and "党员类型" not in en


def test_language_choice_is_kept_on_the_member(client, page_login, tree):
    member = make_member(tree.branch1)
    db.session.commit()
    login_page(client, page_login, member)
    client.get("/language/en")
    assert db.session.get(Member, member.id).locale == "en"


def test_unknown_language_is_ignored(client):
    client.get("/language/xx")
    assert "登录先锋学习" in text(client.get("/login"))


def test_large_font_switch_persists_and_sets_the_page_class(client, page_login, tree):
    member = make_member(tree.branch1)
    db.session.commit()
    login_page(client, page_login, member)
    assert '<body class="">' in text(client.get("/"))
    response = post_form(client, "/large-font", {"next": "/"})
    assert response.status_code == 302
    assert db.session.get(Member, member.id).large_font is True
    html = text(client.get("/"))
    assert '<html lang="zh-CN" class=large-font>' in html and '<body class="large-font">' in html
    client.post("/logout", data={"csrf_token": _token(client)})
    login_page(client, page_login, member)
    assert '<body class="large-font">' in text(client.get("/"))  # kept across sessions


def test_large_font_switch_turns_it_off_again(client, page_login, tree):
    member = make_member(tree.branch1)
    member.large_font = True
    db.session.commit()
    login_page(client, page_login, member)
    post_form(client, "/large-font", {"next": "/"})
    assert db.session.get(Member, member.id).large_font is False
    assert '<body class="">' in text(client.get("/"))


def _token(client):
    from tests.helpers import csrf_token

    return csrf_token(client, "/")


def test_lazy_messages_render_in_chinese_outside_a_request(app):
    from flask_babel import lazy_gettext

    assert str(lazy_gettext("Home")) == "首页"  # e.g. in a CLI command or a Celery task


def test_api_messages_are_chinese_by_default_and_english_on_request(client):
    zh = client.post("/api/v1/auth/login", json={"username": "nobody", "password": "wrong-pass-1"})
    en = client.post("/api/v1/auth/login?lang=en", json={"username": "nobody", "password": "wrong-pass-1"})
    assert (zh.status_code, zh.get_json()["message"]) == (401, "账号或密码错误。")
    assert (en.status_code, en.get_json()["message"]) == (401, "Wrong login or password.")


def test_every_message_of_the_learning_package_has_a_chinese_translation():
    from tests.helpers import untranslated

    assert untranslated("learning") == []

"""Quick-match pages: start, search, play and results, in Chinese by default, reachable from the nav."""
from tests.arena.match_factories import match_bank, play_out, players, start_match


def test_the_start_page_shows_rating_modes_and_history(client, db, tree, page_login):
    match_bank(tree.committee)
    group = players(tree.branch1, 2)
    match_id = start_match(client, group, "two_player")
    play_out(client, group, match_id)
    page_login(group[0][0])
    html = client.get("/arena/matches/").get_data(as_text=True)
    assert "我的段位分" in html and "双人对战" in html and "四人赛" in html
    assert f"/arena/matches/{match_id}" in html and "第 1 名（共 2 人）" in html


def test_the_nav_and_home_link_to_quick_matches(client, db, tree, page_login):
    (member, _), = players(tree.branch1, 1)
    page_login(member)
    html = client.get("/").get_data(as_text=True)
    assert 'href="/arena/matches/"' in html and "答题对战" in html


def test_the_search_page_carries_its_texts_and_no_inline_script(client, db, tree, page_login):
    (member, _), = players(tree.branch1, 1)
    page_login(member)
    resp = client.get("/arena/matches/search?mode=four_player")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "正在匹配对手" in html and "match.js" in html
    assert "<script>" not in html and " onclick=" not in html
    assert client.get("/arena/matches/search?mode=nine").status_code == 404


def test_a_finished_match_page_shows_the_result_and_rating_change(client, db, tree, page_login):
    match_bank(tree.committee)
    group = players(tree.branch1, 2)
    match_id = start_match(client, group, "two_player")
    play_out(client, group, match_id, keys_by_seat={1: ("B",)})
    page_login(group[1][0])
    html = client.get(f"/arena/matches/{match_id}").get_data(as_text=True)
    assert "第 2 名（共 2 人）" in html and "段位分 1200 → 1184" in html and "(-16)" in html


def test_someone_else_s_match_page_is_missing(client, db, tree, page_login):
    match_bank(tree.committee)
    group = players(tree.branch1, 2)
    match_id = start_match(client, group, "two_player")
    (outsider, _), = players(tree.branch1, 1)
    page_login(outsider)
    assert client.get(f"/arena/matches/{match_id}").status_code == 404
    assert client.get(f"/arena/matches/{2 ** 64}").status_code == 404

"""Screenshots of the core pages at 375 px and 1280 px, to look at while working on layout.

    .venv/bin/python -m tests.browser.screenshots /tmp/shots [--lang en] [--large-font]

Builds the demo accounts on a throwaway SQLite database, serves the app on a free port and
saves one full-page PNG per page and width.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
from pathlib import Path

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS


def main(argv=None) -> int:
    """Take the screenshots; returns the process exit status."""
    parser = argparse.ArgumentParser()
    parser.add_argument("outdir")
    parser.add_argument("--lang", default="zh")
    parser.add_argument("--large-font", action="store_true")
    args = parser.parse_args(argv)
    out = Path(args.outdir)
    out.mkdir(parents=True, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="pioneer-shots-")
    os.environ.update(INSTANCE_DIR=tmp, COOKIE_SECURE="0")
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("REDIS_URL", None)

    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    from learning.app import create_app
    from learning.extensions import db
    from tests.browser.demo import PASSWORD, build_demo

    app = create_app({"PASSWORD_HASH": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1},
                      "SESSION_COOKIE_SECURE": False, "LOGIN_RATE_LIMIT": "1000 per minute"})
    with app.app_context():
        db.create_all()
        demo = build_demo()
        ids = {"branch": demo.branch.id, "committee": demo.committee.id, "member": demo.others[1].id}
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    pages = {
        "demo-member": ["/", "/password"],
        "demo-organiser": ["/", f"/members?org_id={ids['branch']}", "/members/new", f"/members/{ids['member']}",
                           f"/members/{ids['member']}/transfer"],
        "demo-reviewer": ["/"],
        "demo-admin": ["/", "/orgs", f"/orgs/{ids['committee']}", f"/orgs/{ids['branch']}",
                       f"/orgs/{ids['branch']}/policy", "/members", "/members?q=%E7%8E%8B",
                       f"/members/{ids['member']}", f"/members/{ids['member']}/edit", "/members/import",
                       "/orgs/99999"],
    }
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for width, height in ((375, 812), (1280, 800)):
            anon = browser.new_context(viewport={"width": width, "height": height}, base_url=base, locale="zh-CN")
            page = anon.new_page()
            if args.lang != "zh":
                page.goto(f"/language/{args.lang}")
            page.goto("/login")
            page.screenshot(path=out / f"{width}-login.png", full_page=True)
            anon.close()
            for user, paths in pages.items():
                context = browser.new_context(viewport={"width": width, "height": height}, base_url=base, locale="zh-CN")
                page = context.new_page()
                page.goto("/login")
                page.fill("input[name=username]", user)
                page.fill("input[name=password]", PASSWORD)
                page.click("button[type=submit]")
                if args.lang != "zh":
                    page.goto(f"/language/{args.lang}")
                if args.large_font:
                    page.click("form[action='/large-font'] button")
                for path in paths:
                    page.goto(path)
                    name = f"{width}-{user}-{path.strip('/').replace('/', '_').replace('?', '_') or 'home'}.png"
                    page.screenshot(path=out / name, full_page=True)
                if user == "demo-admin":
                    _import_with_errors(page, out / f"{width}-{user}-members_import_errors.png")
                if args.large_font:
                    page.click("form[action='/large-font'] button")
                context.close()
        browser.close()
    server.shutdown()
    print(f"screenshots in {out}")
    return 0


def _import_with_errors(page, path) -> None:
    """Upload a member file with bad rows and capture the error report."""
    rows = ["姓名,用户名,性别,出生日期,手机号,入党日期,党员类型,所在支部",
            "新党员甲,xin-jia,男,1990-01-01,13500000001,2015-07-01,正式,县委办公室党支部",
            "新党员乙,xin-yi,女,1990-02-30,13500000002,2015-07-01,正式,县委办公室党支部",
            "新党员丙,xin-bing,男,1988-05-01,1350000,2012-07-01,预备,不存在的支部"]
    page.goto("/members/import")
    page.set_input_files("input[name=file]", files=[{"name": "members.csv", "mimeType": "text/csv",
                                                      "buffer": "\n".join(rows).encode("utf-8")}])
    page.click("form[enctype] button[type=submit]")
    page.wait_for_load_state("load")
    page.screenshot(path=path, full_page=True)


if __name__ == "__main__":
    sys.exit(main())

"""A small demo built with the test factories (with study records), for browser tests and screenshots.

The issue's own demo (`flask seed-demo`, learning.seed) is used where the demo accounts are the point."""
from __future__ import annotations

from dataclasses import dataclass

from learning.extensions import db
from learning.services.records import record
from tests.factories import make_member, make_org

PASSWORD = "demo-pass-2026"
NAMES = ["王建国", "李秀英", "张伟", "刘洋", "陈静", "杨帆", "赵磊", "黄丽", "周敏", "吴强", "徐婷", "孙浩",
         "胡军", "朱琳", "高峰", "林芳", "何勇", "郭敏", "马超", "罗娟", "梁斌", "宋佳", "郑涛", "谢颖"]


@dataclass
class Demo:
    """The orgs and accounts build_demo made."""

    committee: object
    branch: object
    admin: object
    reviewer: object
    organiser: object
    member: object
    others: list


def build_demo() -> Demo:
    """A small committee with two general branches and four branches, the four demo accounts, some study."""
    committee = make_org("先锋县委", "committee")
    generals = [make_org("县直机关党总支", "general_branch", committee), make_org("教育系统党总支", "general_branch", committee)]
    branches = [make_org("县委办公室党支部", "branch", generals[0]), make_org("县财政局党支部", "branch", generals[0]),
                make_org("第一中学党支部", "branch", generals[1]), make_org("实验小学党支部", "branch", generals[1])]
    make_org("第一党小组", "group", branches[0])
    branch = branches[0]
    office = branches[1]  # the committee's own staff are members of a branch like everyone
    admin = make_member(office, "demo-admin", password=PASSWORD, name="管理员老刘", roles=[("admin", committee)])
    reviewer = make_member(office, "demo-reviewer", password=PASSWORD, name="审阅人老周",
                           roles=[("reviewer", committee)])
    organiser = make_member(branch, "demo-organiser", password=PASSWORD, name="支部书记张红",
                            roles=[("organiser", branch)])
    member = make_member(branch, "demo-member", password=PASSWORD, name="党员李明", gender="male",
                         mobile="13812345678")
    others = []
    for i, name in enumerate(NAMES):
        others.append(make_member(branches[i % 4], f"demo{i:02d}", name=name, password=PASSWORD,
                                  gender="female" if i % 2 else "male", mobile=f"1390000{i:04d}",
                                  member_type="probationary" if i % 7 == 0 else "full"))
    for i, m in enumerate([member] + others[:10]):
        record(m, "studied", "lesson", i + 1, idempotency_key=f"demo-study-{m.id}", duration_s=600 + 120 * i,
               object_name="学习党章 第一讲")
    db.session.commit()
    return Demo(committee, branch, admin, reviewer, organiser, member, others)

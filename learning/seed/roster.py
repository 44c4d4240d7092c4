"""The demo county's org tree and a deterministic roster of its members, built in memory.

Nothing here touches the database: the same roster comes out of every run (fixed random seed),
which is what lets `seed_demo` be idempotent by username.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from ..timeutil import local_day, utcnow
from .names import (GIVEN_FEMALE_1, GIVEN_FEMALE_2, GIVEN_MALE_1, GIVEN_MALE_2, MOBILE_PREFIXES, MODERN,
                    SURNAMES, pinyin)

RANDOM_SEED = 20210701
# Dates are drawn relative to this day (1 July, when many branches admit new members), so that the
# roster does not drift from one day to the next; clamped to today on a machine with an older clock.
ANCHOR_DAY = date(2026, 7, 1)

COMMITTEE = "中共青禾县委"
GOV = "中共青禾县直属机关党总支"
EDU = "中共青禾县教育系统党总支"


@dataclass(frozen=True)
class BranchPlan:
    """One branch of the demo tree: its name, how many members it has, its groups."""

    name: str
    general_branch: str
    size: int
    groups: tuple[str, ...] = ()
    female_share: float = 0.3
    born: tuple[int, int] = (1962, 2000)


BRANCHES: tuple[BranchPlan, ...] = (
    BranchPlan("中共青禾县委办公室党支部", GOV, 28),
    BranchPlan("中共青禾县财政局党支部", GOV, 24),
    BranchPlan("中共青禾县人力资源和社会保障局党支部", GOV, 26, female_share=0.4),
    BranchPlan("中共青禾县自然资源局党支部", GOV, 22, female_share=0.2),
    BranchPlan("中共青禾县第一中学党支部", EDU, 48, ("高中部党小组", "初中部党小组", "退休教师党小组"), 0.45),
    BranchPlan("中共青禾县实验小学党支部", EDU, 34, ("第一党小组", "第二党小组"), 0.6),
    BranchPlan("中共青禾县职业中学党支部", EDU, 30, female_share=0.35),
    BranchPlan("中共青禾县城关镇中心学校党支部", EDU, 28, female_share=0.5),
)
OFFICE, SCHOOL = BRANCHES[0].name, BRANCHES[4].name
RETIRED_GROUP = "退休教师党小组"


@dataclass
class MemberSpec:
    """One member of the roster, ready to be created."""

    username: str
    name: str
    gender: str
    birth_date: date
    joined_party_on: date
    member_type: str
    mobile: str
    branch: str
    group: str | None = None
    demo: bool = False  # demo-* accounts keep the given password (no forced change)
    roles: list[tuple[str, str]] = field(default_factory=list)  # (role, org name)


# The four demo accounts: username, name, gender, birth year, branch, roles.
DEMO_ACCOUNTS = (
    ("demo-admin", "陈志远", "male", 1974, OFFICE, [("admin", COMMITTEE)]),
    ("demo-reviewer", "刘晓梅", "female", 1979, OFFICE, [("reviewer", COMMITTEE)]),
    ("demo-organiser", "王海燕", "female", 1981, SCHOOL, [("organiser", SCHOOL)]),
    ("demo-member", "李卫东", "male", 1990, SCHOOL, []),
)


def anchor_day() -> date:
    """The reference day for generated dates (never in the future)."""
    return min(ANCHOR_DAY, local_day(utcnow()))


class _Generator:
    """Draws names, dates and mobile numbers from one seeded random stream."""

    def __init__(self) -> None:
        self.rng = random.Random(RANDOM_SEED)
        self.usernames: set[str] = {spec[0] for spec in DEMO_ACCOUNTS}
        self.mobiles: set[str] = set()
        self.surnames = list(SURNAMES)
        self.weights = [weight for _, weight in SURNAMES.values()]

    def name(self, gender: str, born: int) -> str:
        surname = self.rng.choices(self.surnames, self.weights)[0]
        if self.rng.random() < 0.3:
            given = self.rng.choice(GIVEN_FEMALE_1 if gender == "female" else GIVEN_MALE_1)
        else:
            names = GIVEN_FEMALE_2 if gender == "female" else GIVEN_MALE_2
            given = self.rng.choice([n for n in names if born >= 1986 or n not in MODERN])
        return surname + given

    def username(self, name: str) -> str:
        base = pinyin(name)
        candidate, n = base, 1
        while candidate in self.usernames:
            n += 1
            candidate = f"{base}{n}"
        self.usernames.add(candidate)
        return candidate

    def mobile(self) -> str:
        while True:
            number = self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10 ** 8):08d}"
            if number not in self.mobiles:
                self.mobiles.add(number)
                return number

    def day_in(self, year: int) -> date:
        return date(year, self.rng.randint(1, 12), self.rng.randint(1, 28))

    def party_dates(self, born: date, probationary: bool) -> date:
        """Joined within the last year for probationary members, else at 19-38 and 2+ years ago."""
        anchor = anchor_day()
        if probationary:
            return anchor - timedelta(days=self.rng.randint(20, 340))
        year = min(born.year + self.rng.randint(19, 38), anchor.year - 2)
        return max(self.day_in(year), born + timedelta(days=18 * 366))


def build_roster() -> list[MemberSpec]:
    """The whole demo roster, identical on every call."""
    gen = _Generator()
    roster: list[MemberSpec] = []
    for username, name, gender, year, branch, roles in DEMO_ACCOUNTS:
        born = gen.day_in(year)
        roster.append(MemberSpec(username, name, gender, born, gen.party_dates(born, False), "full",
                                 gen.mobile(), branch, demo=True, roles=list(roles)))
    for plan in BRANCHES:
        own = [spec for spec in roster if spec.branch == plan.name]
        for i in range(plan.size - len(own)):
            group = None
            if plan.groups and i % (len(plan.groups) + 1):
                group = plan.groups[i % (len(plan.groups) + 1) - 1]
            low, high = (1950, 1963) if group == RETIRED_GROUP else plan.born
            gender = "female" if gen.rng.random() < plan.female_share else "male"
            born = gen.day_in(gen.rng.randint(low, high))
            probationary = group != RETIRED_GROUP and born.year > 1985 and gen.rng.random() < 0.15
            name = gen.name(gender, born.year)
            spec = MemberSpec(gen.username(name), name, gender, born, gen.party_dates(born, probationary),
                              "probationary" if probationary else "full", gen.mobile(), plan.name, group)
            if i == 0 and not any(role == "organiser" for s in own for role, _ in s.roles):
                spec.roles.append(("organiser", plan.name))  # the branch secretary (支部书记)
            if i == 0 and plan is next(p for p in BRANCHES if p.general_branch == plan.general_branch):
                spec.roles.append(("reviewer", plan.general_branch))  # secretary of the general branch
            roster.append(spec)
    return roster

#!/usr/bin/env python3
"""Writes a synthetic but realistic workbook (docs/workbook.md) for "Bigco".

The benchmark tenant: by default 2,000 people in 60 departments with a
reports-to tree (CEO, six leaders, department heads, directors, managers,
individual contributors), 7,000 WhyGOs (4 company, 3 per department, the rest
individual with two or three outcomes each, each laddering to its department's WhyGOs), 20,000 outcomes with
the target forms real plans use, and a year of check-ins (Q1-Q4 2026, up to
2026-11-20: about three per outcome and quarter, some missed).

Deterministic: the same arguments give the same file, byte for byte.
Python 3.11 standard library only.

    bench/generate_workbook.py --out target/bench/bigco.toml
    bench/generate_workbook.py --people 50 --seed 1 --out small.toml

Every person has an email KEY@bigco.example; the CEO (key printed at the end,
`dana-whitfield` by default) and the six leaders have role "leader", so an
account for them can be made with
`whygo user create --email dana-whitfield@bigco.example --name "Dana Whitfield"
--tenant bigco --role leader --person dana-whitfield`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import random
import sys

CEO = ("Dana", "Whitfield")
FISCAL_YEAR_START = dt.date(2026, 1, 1)
LAST_CHECKIN = dt.date(2026, 11, 20)

FIRST_NAMES = """
Aaron Abigail Adam Adrian Aisha Alan Alba Alex Alice Amara Amir Ana Andre Andrea
Angela Anika Anton Aria Arjun Ava Ben Bianca Blake Bruno Caleb Camila Carla Carlos
Carmen Chen Chloe Chris Clara Colin Cora Dahlia Daniel Daria David Diego Dina Eli
Elena Elias Elif Ella Emil Emma Enzo Eric Erin Esme Ethan Eva Farah Felix Fiona
Frank Gabriel Gemma Grace Hana Hannah Hassan Hugo Ian Ida Imani Ines Iris Isaac
Ivan Jade Jamal James Jana Jasper Jin Joel Jonas Jordan Julia Kai Kamal Kara Kevin
Kian Kira Lara Laura Leah Leo Liam Lina Lucas Lucia Luis Maya Marco Maria Mateo
Maxine Mei Mia Milan Mira Nadia Naomi Nate Nina Noah Nora Omar Oscar Paula Priya
Quinn Rafael Rana Ravi Rhea Rosa Ruth Sam Sara Sean Selin Simon Sofia Tariq Tess
Theo Tomas Uma Vera Victor Wen Yara Yusuf Zara Zoe
""".split()

LAST_NAMES = """
Abbott Adeyemi Alvarez Andersen Arora Baker Banerjee Barros Becker Bell Bianchi
Brandt Brooks Campbell Castro Chang Choi Clarke Cohen Costa Cruz Dalton Das Davies
Delgado Dubois Duarte Edwards Eriksen Evans Farouk Fischer Fleming Flores Foster
Fujita Garcia Gill Gomez Grant Gupta Haddad Hall Hansen Hayes Hernandez Hoffmann
Holm Hughes Ibrahim Ito Jansen Jensen Johansson Kang Kaur Keller Khan Kim Klein
Koch Kowalski Kumar Lambert Larsen Lee Lopez Lund Mahmoud Malik Marsh Martin Meyer
Mendes Moreau Morris Murphy Nakamura Nguyen Nielsen Novak Okafor Olsen Ortiz Park
Patel Pereira Petrov Popescu Quinn Rahman Reyes Rossi Russo Saito Santos Schmidt
Shah Silva Singh Sorensen Suzuki Tanaka Torres Tran Varga Vogel Walsh Wang Weber
Wright Yamamoto Yilmaz Young Zhang Zimmermann
""".split()

# The six leaders under the CEO and the departments each one runs.
GROUPS = [
    ("President and Chief Operating Officer", "ops", [
        "Supply Chain", "Logistics", "Procurement", "Facilities", "Manufacturing East",
        "Manufacturing West", "Quality Assurance", "Customer Support", "Field Service",
        "Program Management"]),
    ("Chief Financial Officer", "fin", [
        "Finance", "Accounting", "Treasury", "Tax", "Financial Planning and Analysis",
        "Internal Audit", "Legal", "Compliance", "Investor Relations"]),
    ("Chief Technology Officer", "tech", [
        "Platform Engineering", "Infrastructure", "Security", "Data Engineering",
        "Machine Learning", "Mobile", "Web", "Test Automation", "Developer Experience", "IT"]),
    ("Chief Revenue Officer", "sales", [
        "Enterprise Sales", "Mid-Market Sales", "SMB Sales", "Sales Operations",
        "Partnerships", "Customer Success", "Account Management", "Sales Engineering",
        "EMEA Sales", "APAC Sales"]),
    ("Chief Marketing Officer", "mkt", [
        "Product Management", "Design", "User Research", "Product Marketing", "Brand",
        "Content", "Growth Marketing", "Events", "Communications", "Analytics"]),
    ("Chief People Officer", "people", [
        "Recruiting", "People Operations", "Learning and Development", "Total Rewards",
        "Workplace Experience", "Diversity and Inclusion", "Employee Relations",
        "HR Systems", "Talent Management", "Internal Communications"]),
]

IC_TITLES = {
    "exec": ["Chief of Staff", "Executive Assistant", "Strategy Lead", "Business Analyst"],
    "ops": ["Operations Analyst", "Planner", "Coordinator", "Technician", "Specialist",
            "Senior Specialist", "Support Agent", "Program Manager"],
    "fin": ["Financial Analyst", "Senior Accountant", "Accountant", "Counsel", "Auditor",
            "Compliance Analyst", "Paralegal"],
    "tech": ["Software Engineer", "Senior Software Engineer", "Staff Engineer",
             "Site Reliability Engineer", "Data Engineer", "Security Engineer",
             "ML Engineer", "QA Engineer"],
    "sales": ["Account Executive", "Senior Account Executive", "Sales Development Rep",
              "Customer Success Manager", "Solutions Engineer", "Sales Analyst"],
    "mkt": ["Product Manager", "Product Designer", "Researcher", "Marketing Manager",
            "Content Writer", "Data Analyst", "Event Manager"],
    "people": ["Recruiter", "HR Business Partner", "People Analyst", "L&D Specialist",
               "HR Generalist", "Coordinator"],
}

COMPANY_WHYGOS = [
    ("Grow Revenue to $600M",
     "Bigco has to show investors that the new product lines sell beyond our home market; growth is what funds everything else on this list.",
     "Close $600M of revenue in 2026 with 40% of new bookings from products launched since 2024."),
    ("Operational Excellence",
     "Margins erode when every order is a special case. Standard processes and clean handoffs let us grow without hiring in step with revenue.",
     "Reach a 32% operating margin by Q4 with on-time delivery above 95% in every region."),
    ("Customers Who Stay and Recommend Us",
     "Winning a customer costs five times what keeping one does; retention and referrals are the cheapest growth we have.",
     "Lift net revenue retention to 115% and NPS to 50+ by year end."),
    ("Build the Talent Engine",
     "We cannot hire our way to the plan. Developing and keeping the people we have is the constraint on every other goal.",
     "Fill 90% of manager openings internally and keep regretted attrition under 8%."),
]

WHYGO_THEMES = [
    ("Scale {d} Throughput", "Demand grows faster than {d} headcount; the only way through is better flow.",
     "Handle 30% more volume in {d} without adding headcount."),
    ("Raise the Quality Bar in {d}", "Rework costs us more than doing it right the first time.",
     "Cut rework in {d} in half and make first-pass quality the norm."),
    ("Automate the Repetitive Work", "Hours spent on manual steps are hours not spent on customers.",
     "Automate the five most time-consuming manual steps in {d}."),
    ("Faster Cycle Times", "Customers notice how long we take more than how much we do.",
     "Bring the {d} cycle time down by a third by Q4."),
    ("Grow the Team's Skills", "The plan needs people who can take on the next level of work.",
     "Get every person in {d} through one certification or stretch assignment."),
    ("Win and Keep Key Accounts", "A handful of accounts drive most of our results; they deserve our best.",
     "Keep every top account and expand a third of them."),
    ("Modernize Our Tooling", "Old tools slow everyone down and hide problems until they are expensive.",
     "Move {d} onto the shared platform and retire two legacy systems."),
    ("Predictable Delivery", "Commitments we miss cost trust that takes quarters to win back.",
     "Deliver 95% of {d} commitments on the date promised."),
    ("Measure What Matters", "We cannot steer what we do not measure weekly.",
     "Give {d} a weekly scorecard that leadership trusts."),
    ("Lower Cost to Serve", "Every dollar saved in delivery is a dollar for growth.",
     "Reduce the {d} cost per unit by 15% while holding quality."),
]

BLOCKERS = [
    "waiting on a vendor contract", "two open roles not filled yet", "priorities shifted to the Q-end push",
    "tooling migration took longer than planned", "data quality issues upstream",
    "a key dependency on another team slipped", "holiday coverage gaps", "budget approval pending",
    "scope grew after the customer review", "an outage consumed a sprint",
]
TACTICS = [
    "escalated in the weekly sync", "borrowing a contractor for four weeks", "re-sequenced the backlog",
    "pairing with the platform team", "cut scope to the must-haves", "daily stand-up until back on pace",
    "moved the launch to the next release train", "asked Finance for a bridge approval",
]

KPI_GROUPS = ["Throughput", "Quality", "Cost", "People", "Customers"]


def toml_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def toml_list(items) -> str:
    return "[" + ", ".join(toml_str(i) for i in items) + "]"


def slug(name: str) -> str:
    out = []
    for ch in name.lower():
        out.append(ch if ch.isalnum() else "-")
    s = "".join(out)
    while "--" in s:
        s = s.replace("--", "-")
    return s.strip("-")


# --- number formatting, the way people type it ---------------------------

def fmt_num(v: float) -> str:
    r = round(v, 1)
    if abs(r - round(r)) < 1e-9:
        return f"{int(round(r)):,}"
    return f"{r:,.1f}"


def fmt_pct(v: float) -> str:
    return fmt_num(v) + "%"


def fmt_money(v: float) -> str:
    if v >= 1e6:
        return "$" + fmt_num(v / 1e6) + "M"
    if v >= 1e3:
        return "$" + fmt_num(round(v / 1e3)) + "K"
    return "$" + fmt_num(round(v))


def fmt_days(v: float) -> str:
    n = max(1, round(v))
    return "1 day" if n == 1 else f"{n} days"


def fmt_hours(v_days: float) -> str:
    h = max(1, round(v_days * 24))
    return "1 hour" if h == 1 else f"{h} hours"


def fmt_ratio(v: float) -> str:
    return fmt_num(round(v, 1)) + ":1"


# --- outcome templates ---------------------------------------------------
#
# Each returns a dict: name, targets (4 texts), extra (workbook keys), and how
# to make a check-in value: kind "num" with line (4 met-at values or None per
# quarter, plus the start T0), direction, fmt; or kind "stage" with a ladder
# and the expected stage index per quarter.

COUNT_NAMES = ["Deals closed", "Features shipped", "Customer interviews held", "Tickets resolved",
               "Hires made", "Audits completed", "Articles published", "Integrations delivered",
               "Training sessions held", "Process improvements adopted", "Experiments run",
               "Accounts expanded", "Suppliers qualified", "Dashboards retired"]
PCT_NAMES = ["On-time delivery", "First-pass quality", "Forecast accuracy", "Test coverage",
             "Customer satisfaction (CSAT)", "Renewal rate", "Uptime", "Pipeline coverage",
             "Plan adherence", "Engagement survey participation", "Automation rate"]
MONEY_NAMES = ["Revenue closed", "Pipeline created", "Cost savings realized", "Expansion bookings",
               "Partner-sourced revenue", "Budget recovered"]
DAYS_NAMES = ["Average cycle time", "Time to hire", "Time to close books", "Lead time to production",
              "Onboarding time", "Contract turnaround"]
HOURS_NAMES = ["First response time", "Incident resolution time", "Escalation response time"]
STAGE_NAMES = ["Self-serve portal", "Scorecard rollout", "New planning process", "Vendor consolidation",
               "Data warehouse migration", "Playbook", "Certification program", "Pricing model"]
LADDERS = [
    ["MVP", "v1.0", "Iterate", "Iterate"],
    ["Spec", "MVP", "v1.0", "Live"],
    ["Setup", "Live", "Iterate", "Optimized"],
    ["Draft", "Approved", "—", "—"],
    ["Baseline", "Core", "Complete", "Audit-ready"],
    ["Assessed", "Implemented", "Verified", "Documented"],
]
LOWER_PCT_NAMES = ["Defect escape rate", "Voluntary attrition", "Invoice error rate", "Churn rate",
                   "Scrap rate"]
RATIO_NAMES = ["Pipeline to quota", "Return on ad spend", "Applicants per opening"]


def t_count(rng):
    n = rng.choice([2, 3, 4, 5, 6, 8, 10, 12, 20, 25, 40, 50, 100, 250])
    t = [n, 2 * n, 3 * n, 4 * n]
    texts = [fmt_num(x) for x in t]
    if rng.random() < 0.3:
        texts[3] += "+"
    return dict(name=rng.choice(COUNT_NAMES), targets=texts, extra={},
                kind="num", line=t, t0=0, direction=1, fmt=fmt_num, integer=True)


def t_count_level(rng):
    n = rng.choice([2, 3, 4, 5, 8, 12])
    texts = ["—", fmt_num(n), fmt_num(n), fmt_num(n)]
    return dict(name=rng.choice(["Active partners", "Products in market", "Certified trainers",
                                 "Regions live", "Verticals with 2+ clients"]),
                targets=texts, extra={"cumulative": False}, kind="num",
                line=[None, n, n, n], t0=n * 0.5, direction=1, fmt=fmt_num, integer=True)


def t_range(rng):
    a = rng.choice([2, 3, 4, 6])
    lows = [a, 2 * a, 3 * a, 4 * a]
    texts = [f"{lo}-{lo + max(1, lo // 3)}" for lo in lows]
    return dict(name=rng.choice(COUNT_NAMES), targets=texts, extra={}, kind="num",
                line=lows, t0=0, direction=1, fmt=fmt_num, integer=True)


def t_pct_atleast(rng):
    p = rng.choice([85, 90, 95, 98])
    return dict(name=rng.choice(PCT_NAMES), targets=[f"{p}%+"] * 4, extra={}, kind="num",
                line=[p] * 4, t0=p, direction=1, fmt=fmt_pct, cap=100)


def t_pct_ramp(rng):
    start = rng.choice([60, 70, 75, 80])
    step = rng.choice([5, 5, 8, 10])
    t = [min(100, start + i * step) for i in range(4)]
    texts = [fmt_pct(x) for x in t]
    if rng.random() < 0.25:
        texts[0] = "Baseline"
        t[0] = None
    return dict(name=rng.choice(PCT_NAMES), targets=texts, extra={}, kind="num",
                line=t, t0=start - step, direction=1, fmt=fmt_pct, cap=100)


def t_money(rng):
    if rng.random() < 0.5:
        q = rng.choice([0.5, 1, 1.5, 2.5])
        t = [q * 1e6 * (i + 1) for i in range(4)]
    else:
        q = rng.choice([25, 50, 80, 120])
        t = [q * 1e3 * (i + 1) for i in range(4)]
    texts = [fmt_money(x) for x in t]
    if rng.random() < 0.2:
        texts = ["—", "—", "—", texts[3]]  # "$xM by EOY"
    return dict(name=rng.choice(MONEY_NAMES), targets=texts, extra={}, kind="num",
                line=t, t0=0, direction=1, fmt=fmt_money)


def t_days(rng):
    d = rng.choice([14, 21, 30, 45])
    t = [d, round(d * 0.85), round(d * 0.7), round(d * 0.7)]
    texts = [f"{x} days" for x in t]
    if rng.random() < 0.3:
        w = rng.choice([4, 6])
        t = [None, w * 7, (w - 1) * 7, (w - 1) * 7]
        texts = ["Baseline", f"{w} weeks", f"{w - 1} weeks", f"{w - 1} weeks"]
        d = w * 7 * 1.2
    return dict(name=rng.choice(DAYS_NAMES), targets=texts, extra={}, kind="num",
                line=t, t0=d * 1.2, direction=-1, fmt=fmt_days)


def t_hours(rng):
    h = rng.choice([4, 8, 24, 48])
    return dict(name=rng.choice(HOURS_NAMES), targets=[f"<{h} hours"] * 4, extra={}, kind="num",
                line=[h / 24] * 4, t0=h / 24, direction=-1, fmt=fmt_hours)


def t_stage(rng):
    ladder = rng.choice(LADDERS)
    stages = [s for s in dict.fromkeys(ladder) if s != "—"]
    expected = []
    last = 0
    for s in ladder:
        if s != "—":
            last = stages.index(s)
        expected.append(last)
    return dict(name=rng.choice(STAGE_NAMES), targets=list(ladder), extra={}, kind="stage",
                ladder=stages, expected=expected)


def t_unscored(rng):
    texts = rng.choice([["TBD"] * 4, ["Baseline", "TBD", "TBD", "TBD"], ["—", "—", "—", "—"],
                        ["Track", "Track", "Track", "Track"]])
    n = rng.choice([10, 40, 100])
    return dict(name=rng.choice(COUNT_NAMES), targets=list(texts), extra={}, kind="num",
                line=[n, n * 1.1, n * 1.2, n * 1.3], t0=n, direction=1, fmt=fmt_num, integer=True)


def t_relative(rng):
    b = rng.choice([20, 40, 120, 300])
    return dict(name=rng.choice(COUNT_NAMES), targets=["Baseline", "+25%", "+50%", "+75%"],
                extra={"cumulative": False}, kind="num",
                line=[b, b * 1.25, b * 1.5, b * 1.75], t0=b, direction=1, fmt=fmt_num, integer=True)


def t_ratio(rng):
    if rng.random() < 0.5:
        texts, t = ["Baseline", "Track", "Track", "Target 4:1"], [3.0, 3.3, 3.6, 4.0]
    else:
        texts, t = ["3:1", "3.5:1", "4:1", "4:1"], [3.0, 3.5, 4.0, 4.0]
    return dict(name=rng.choice(RATIO_NAMES), targets=texts, extra={}, kind="num",
                line=t, t0=2.5, direction=1, fmt=fmt_ratio)


def t_tolerance(rng):
    p = rng.choice([10, 15])
    return dict(name="Forecast variance", targets=[f"±{p}%"] * 4, extra={}, kind="num",
                line=[p] * 4, t0=p, direction=-1, fmt=fmt_pct)


def t_oneoff(rng):
    n = rng.choice([20, 50, 100])
    return dict(name=rng.choice(["Client NPS", "Net promoter score", "Certified staff"]),
                targets=["—", "—", "—", f"{n}+"], extra={"cumulative": False}, kind="num",
                line=[n * 0.4, n * 0.6, n * 0.8, n], t0=n * 0.3, direction=1, fmt=fmt_num,
                integer=True)


def t_atmost(rng):
    p = rng.choice([3, 5, 8])
    texts = [f"<{p}%", f"<{p}%", f"<{p - 1}%", f"<{p - 2}%"]
    return dict(name=rng.choice(LOWER_PCT_NAMES), targets=texts, extra={}, kind="num",
                line=[p, p, p - 1, p - 2], t0=p + 1, direction=-1, fmt=fmt_pct)


TEMPLATES = [
    (t_count, 18), (t_count_level, 5), (t_range, 7), (t_pct_atleast, 10), (t_pct_ramp, 8),
    (t_money, 8), (t_days, 7), (t_hours, 4), (t_stage, 12), (t_unscored, 5), (t_relative, 4),
    (t_ratio, 3), (t_tolerance, 2), (t_oneoff, 4), (t_atmost, 3),
]


def pick_template(rng):
    fns = [f for f, _ in TEMPLATES]
    weights = [w for _, w in TEMPLATES]
    return rng.choices(fns, weights)[0](rng)


# --- check-ins --------------------------------------------------------------

def quarter_bounds(q: int) -> tuple[dt.date, dt.date]:
    start = dt.date(2026, 3 * (q - 1) + 1, 1)
    end = dt.date(2026, 3 * q + 1, 1) - dt.timedelta(days=1) if q < 4 else dt.date(2026, 12, 31)
    return start, end


def last_fridays() -> dict[int, list[dt.date]]:
    """Check-in days: the last Friday of each month, and 2026-11-20 for November."""
    days: dict[int, list[dt.date]] = {1: [], 2: [], 3: [], 4: []}
    for month in range(1, 12):
        first_next = dt.date(2026, month + 1, 1)
        d = first_next - dt.timedelta(days=1)
        while d.weekday() != 4:
            d -= dt.timedelta(days=1)
        if d > LAST_CHECKIN:
            d = LAST_CHECKIN
        days[(month - 1) // 3 + 1].append(d)
    return days


CHECKIN_DAYS = last_fridays()


def value_line(o, q: int, f: float):
    """The met-at value expected at fraction f of quarter q, or None if unknown."""
    line = o["line"]
    cur = line[q - 1]
    if cur is None:
        return None
    prev = line[q - 2] if q > 1 and line[q - 2] is not None else o["t0"]
    return prev + f * (cur - prev)


def checkins(rng, o, owner: str, perf: float, stop_after: int):
    """The outcome's [[actual]] entries as (quarter, value, date, by, note)."""
    out = []
    for q in range(1, 5):
        if q > stop_after:
            break
        qs, qe = quarter_bounds(q)
        span = (qe - qs).days + 1
        days = CHECKIN_DAYS[q]
        for i, day in enumerate(days):
            if rng.random() < 0.15:  # a missed week
                continue
            date = day - dt.timedelta(days=rng.randrange(0, 4))
            if date < qs:
                date = qs
            f = min(1.0, ((date - qs).days + 1) / span)
            noise = rng.uniform(0.96, 1.04)
            if o["kind"] == "stage":
                exp = o["expected"][q - 1]
                idx = exp if perf >= 0.95 else max(0, exp - (1 if perf >= 0.75 else 2))
                if f < 0.5 and q > 1:
                    idx = min(idx, o["expected"][q - 2])
                value = o["ladder"][idx]
                p_eff = 1.0 if idx >= exp else 0.5
            else:
                base = value_line(o, q, f)
                if base is None:  # a "Baseline" quarter: measure where we are
                    base = o["t0"] if o["t0"] else 1
                v = base * perf * noise if o["direction"] > 0 else base / (perf * noise)
                if "cap" in o:
                    v = min(v, o["cap"])
                if o.get("integer"):
                    v = max(0, round(v))
                value = o["fmt"](v)
                p_eff = perf
            note = None
            last_of_quarter = i == len(days) - 1
            if last_of_quarter and p_eff < 0.8 and rng.random() < 0.7:
                note = f"Off pace: {rng.choice(BLOCKERS)}; {rng.choice(TACTICS)}."
            elif last_of_quarter and p_eff < 1.0 and rng.random() < 0.4:
                note = f"Slightly behind: {rng.choice(BLOCKERS)}; {rng.choice(TACTICS)}."
            out.append((q, value, date, owner, note))
    return out


# --- the organization -------------------------------------------------------

class Person:
    __slots__ = ("key", "name", "title", "dept", "reports_to", "role", "kind", "kpis")

    def __init__(self, key, name, title, dept, reports_to, role="member", kind="ic"):
        self.key, self.name, self.title, self.dept = key, name, title, dept
        self.reports_to, self.role, self.kind = reports_to, role, kind
        self.kpis = []


def build(args) -> tuple[str, dict]:
    rng = random.Random(args.seed)
    n_people = args.people
    n_depts = args.departments or max(3, round(60 * n_people / 2000))
    # 3.5 WhyGOs a person, so 10 outcomes a person fit the rule of two or
    # three outcomes per individual WhyGO (src/domain/whygo_rules.rs).
    n_whygos = args.whygos or (7 * n_people) // 2
    n_outcomes = args.outcomes or 10 * n_people
    if n_depts < 2:
        sys.exit("need at least 2 departments")

    # Names: unique pairs, the CEO's first.
    pairs = [p for p in itertools.product(FIRST_NAMES, LAST_NAMES) if p != CEO]
    if n_people > len(pairs) + 1:
        sys.exit(f"at most {len(pairs) + 1} people")
    names = [CEO] + rng.sample(pairs, n_people - 1)
    name_iter = iter(names)

    def new_person(title, dept, reports_to, role="member", kind="ic"):
        first, last = next(name_iter)
        key = slug(f"{first}-{last}")
        p = Person(key, f"{first} {last}", title, dept, reports_to, role, kind)
        people.append(p)
        return p

    people: list[Person] = []
    n_leaders = min(len(GROUPS), max(1, (n_depts - 1) // 2), n_people - n_depts)
    ceo = new_person("Chief Executive Officer", "executive", None, "leader", "ceo")
    leaders = [new_person(GROUPS[i][0], "executive", ceo.key, "leader", "leader")
               for i in range(n_leaders)]

    # Departments: the Executive Office, then the leaders' departments in turn.
    departments = [("executive", "Executive Office", ceo.key, "exec", None)]
    per_group = [list(g[2]) for g in GROUPS[:n_leaders]]
    gi = 0
    while len(departments) < n_depts:
        group = per_group[gi % n_leaders]
        if group:
            name = group.pop(0)
            departments.append((slug(name), name, None, GROUPS[gi % n_leaders][1],
                                leaders[gi % n_leaders]))
        elif not any(per_group):
            extra = len(departments)
            departments.append((f"unit-{extra}", f"Business Unit {extra}", None,
                                GROUPS[gi % n_leaders][1], leaders[gi % n_leaders]))
        gi += 1

    remaining = n_people - len(people) - (n_depts - 1)
    if remaining < 0:
        sys.exit("not enough people for a head in every department")
    exec_staff = min(4, remaining // 25)
    for i in range(exec_staff):
        new_person(IC_TITLES["exec"][i % 4], "executive", ceo.key)
    remaining -= exec_staff

    # Department sizes vary (weights 1..4); every department gets its head.
    weights = [rng.uniform(1, 4) for _ in departments[1:]]
    total_w = sum(weights)
    sizes = [int(remaining * w / total_w) for w in weights]
    for i in range(remaining - sum(sizes)):
        sizes[i % len(sizes)] += 1

    dept_rows = [("executive", "Executive Office", ceo.key)]
    heads = {"executive": ceo.key}
    members: dict[str, list[Person]] = {"executive": [p for p in people]}
    for (dkey, dname, _, fn, leader), size in zip(departments[1:], sizes):
        head = new_person(f"Head of {dname}", dkey, leader.key, kind="head")
        heads[dkey] = head.key
        dept_rows.append((dkey, dname, head.key))
        staff = [head]
        n_managers = max(1, round(size / 8)) if size >= 3 else 0
        n_directors = 2 if n_managers > 5 else 0
        directors = [new_person(f"Director, {dname}", dkey, head.key, kind="director")
                     for _ in range(n_directors)]
        managers = []
        for m in range(n_managers):
            boss = directors[m % n_directors].key if directors else head.key
            managers.append(new_person(f"{dname} Manager", dkey, boss, kind="manager"))
        staff += directors + managers
        bosses = managers or [head]
        for _ in range(size - n_directors - n_managers):
            boss = rng.choice(bosses)
            staff.append(new_person(rng.choice(IC_TITLES[fn]), dkey, boss.key))
        members[dkey] = staff
    assert len(people) == n_people, (len(people), n_people)

    # Roles: an admin in People Operations (or the first head), leaders above.
    admin = next((p for p in people if p.dept == "people-operations" and p.kind == "manager"),
                 next(p for p in people if p.kind == "head"))
    admin.role = "admin"
    by_key = {p.key: p for p in people}

    # --- WhyGOs ---
    whygos = []  # dicts
    company_keys = []
    n_company = min(4, n_whygos)
    for i in range(n_company):
        title, why, goal = COMPANY_WHYGOS[i]
        key = f"company-{i + 1}"
        company_keys.append(key)
        whygos.append(dict(key=key, level="company", owner=ceo.key, number=i + 1, title=title,
                           why=why, goal=goal, status="approved", ladders_to=[], scope=None,
                           dept="executive"))
    dept_whygo_keys: dict[str, list[str]] = {}
    per_dept = 3
    for di, (dkey, dname, head) in enumerate(dept_rows):
        keys = []
        for n in range(1, per_dept + 1):
            title, why, goal = WHYGO_THEMES[(di * 3 + n) % len(WHYGO_THEMES)]
            key = f"{dkey}-{n}"
            parents = [company_keys[(di + n) % n_company]]
            if rng.random() < 0.35:
                other = rng.choice(company_keys)
                if other not in parents:
                    parents.append(other)
            whygos.append(dict(key=key, level="department", owner=head, number=n,
                               title=title.format(d=dname), why=why.format(d=dname),
                               goal=goal.format(d=dname), status="approved",
                               ladders_to=parents, scope=dkey, dept=dkey))
            keys.append(key)
        dept_whygo_keys[dkey] = keys

    n_individual = n_whygos - len(whygos)
    if n_individual < 0:
        sys.exit("--whygos is smaller than the company and department WhyGOs")
    eligible = [p for p in people if p.kind != "ceo"]
    counts = {p.key: 0 for p in eligible}
    base, extra = divmod(n_individual, len(eligible))
    for p in eligible:
        counts[p.key] = base
    for p in rng.sample(eligible, extra):
        counts[p.key] += 1
    # Some spread: move one WhyGO from a few people to others.
    for _ in range(len(eligible) // 10):
        a, b = rng.sample(eligible, 2)
        if counts[a.key] > 1:
            counts[a.key] -= 1
            counts[b.key] += 1
    statuses = (["approved"] * 85 + ["submitted"] * 6 + ["draft"] * 4 + ["changes_requested"] * 4
                + ["archived"])
    for p in eligible:
        dname = next(d[1] for d in dept_rows if d[0] == p.dept) if p.kind != "leader" else "the company"
        for n in range(1, counts[p.key] + 1):
            title, why, goal = rng.choice(WHYGO_THEMES)
            if p.kind == "leader":
                parents = [company_keys[(n - 1) % n_company]]
            else:
                own = dept_whygo_keys[p.dept]
                parents = [own[(n - 1) % len(own)]]
                r = rng.random()
                if r < 0.2:
                    other = rng.choice(own)
                    if other not in parents:
                        parents.append(other)
                elif r < 0.3:
                    parents.append(rng.choice(company_keys))
            whygos.append(dict(key=f"{p.key}-{n}", level="individual", owner=p.key, number=n,
                               title=title.format(d=dname), why=why.format(d=dname),
                               goal=goal.format(d=dname), status=rng.choice(statuses),
                               ladders_to=parents, scope=p.key, dept=p.dept))

    # --- Outcomes: 5 per company WhyGO, 4 per department WhyGO, the rest spread ---
    fixed = {"company": 5, "department": 4}
    n_fixed = sum(fixed.get(w["level"], 0) for w in whygos)
    individual = [w for w in whygos if w["level"] == "individual"]
    left = n_outcomes - n_fixed
    if individual:
        # Two or three outcomes each (the rule for individual WhyGOs).
        if not 2 * len(individual) <= left <= 3 * len(individual):
            sys.exit(f"{left} outcomes do not fit {len(individual)} individual WhyGOs at 2-3 each")
        per = {w["key"]: 2 for w in individual}
        for w in rng.sample(individual, left - 2 * len(individual)):
            per[w["key"]] += 1
    else:
        per = {}
    team: dict[str, list[str]] = {d: [p.key for p in ms] for d, ms in members.items()}
    for w in whygos:
        count = fixed.get(w["level"]) or per.get(w["key"], 0)
        outs = []
        for j in range(count):
            o = pick_template(rng)
            o["key"] = f"{w['key']}-o{j + 1}"
            if w["level"] == "company":
                owners = [leaders[(w["number"] + j) % len(leaders)].key]
            elif w["level"] == "department":
                owners = [w["owner"]]
                if rng.random() < 0.4:
                    mate = rng.choice(team[w["dept"]])
                    if mate != w["owner"]:
                        owners.append(mate)
            else:
                owners = [w["owner"]]
                if rng.random() < 0.1:
                    mate = rng.choice(team[w["dept"]])
                    if mate != w["owner"]:
                        owners.append(mate)
            o["owners"] = owners
            outs.append(o)
        w["outcomes"] = outs

    # KPIs for heads and managers: their department's first outcomes.
    for p in people:
        if p.kind in ("head", "leader"):
            for g in KPI_GROUPS[:3]:
                p.kpis.append(dict(group=f"{g}", metric=f"{g} scorecard", targets=["—", "Baseline", "+10%", "+20%"]))
        elif p.kind in ("manager", "director"):
            p.kpis.append(dict(group=None, metric="Team check-ins on time", target="90%+"))
            p.kpis.append(dict(group=None, metric="Regretted attrition", target="<8%"))

    # --- Sign-offs ---
    signers = [ceo.key] + ([leaders[0].key] if leaders else [])
    signoffs = []
    for w in whygos:
        if w["status"] != "approved":
            continue
        if w["level"] == "company":
            who = signers
        elif w["level"] == "department":
            who = list(dict.fromkeys(signers + [heads[w["scope"]]]))
        else:
            who = [by_key[w["scope"]].reports_to]
        for k, s in enumerate(who):
            signoffs.append((w["key"], s, dt.date(2026, 1, 12) + dt.timedelta(days=rng.randrange(0, 20) + k)))

    # --- Handoffs and dependencies ---
    dkeys = [d[0] for d in dept_rows]
    dnames = {d[0]: d[1] for d in dept_rows}
    handoffs = []
    chain = [k for k in ["enterprise-sales", "program-management", "platform-engineering",
                         "customer-success"] if k in dkeys]
    if len(chain) < 4:
        chain = dkeys[1:5]
    for i in range(len(chain)):
        a, b = chain[i], chain[(i + 1) % len(chain)]
        if a == b:
            continue
        handoffs.append(dict(key=f"{a}-to-{b}", number=i + 1,
                             name=f"{dnames[a]} → {dnames[b]}",
                             frm=a, to=b, trigger="Work package accepted", sla_hours=[48, 168, 72, 120][i % 4],
                             sla="Handover package within the agreed hours",
                             checklist=["Scope", "Timeline", "Owner", "Acceptance criteria"]))
    needs = ["Quarterly headcount plan", "Data feed for the scorecard", "Security review",
             "Budget sign-off", "Launch assets", "Integration support", "Customer references",
             "Test environment", "Hiring pipeline", "Contract templates"]
    deps = []
    seen = set()
    for _ in range(min(2 * len(dkeys), 150)):
        a, b = rng.sample(dkeys, 2)
        need = rng.choice(needs)
        if (a, b, need) in seen:
            continue
        seen.add((a, b, need))
        deps.append(dict(frm=a, on=b, need=need, deliverable=f"{need} delivered",
                         due=rng.choice(["Q1", "Q2", "Q1-Q3", "Monthly", "Per project", "—"]),
                         criteria=rng.choice([None, "100% on time", "≥90% accepted first time"])))

    # --- Check-ins ---
    actuals = []
    for w in whygos:
        if w["status"] in ("draft", "archived"):
            continue  # nothing measured yet / any more
        for o in w["outcomes"]:
            r = rng.random()
            if r < 0.6:
                perf = rng.uniform(1.0, 1.2)
            elif r < 0.82:
                perf = rng.uniform(0.82, 0.99)
            else:
                perf = rng.uniform(0.5, 0.79)
            stop_after = 4 if rng.random() > 0.06 else rng.randrange(1, 4)
            actuals.extend((o["key"], *c) for c in checkins(rng, o, o["owners"][0], perf, stop_after))
    actuals.sort(key=lambda a: (a[3], a[0], a[1]))

    # --- Write ---
    out = []
    w_ = out.append
    w_("# Bigco: a SYNTHETIC organization for benchmarks, written by")
    w_(f"# bench/generate_workbook.py --people {n_people} --departments {n_depts} "
       f"--whygos {n_whygos} --outcomes {n_outcomes} --seed {args.seed}")
    w_("# Names, plans and check-ins are invented. Do not edit: regenerate.")
    w_("")
    w_("workbook = 1")
    w_("")
    w_("[organization]")
    w_('name = "Bigco"')
    w_(f"slug = {toml_str(args.slug)}")
    w_(f'fiscal_year_start = "{FISCAL_YEAR_START.isoformat()}"')
    w_("on_pace = 1.0")
    w_("slightly_off = 0.8")
    w_(f"signers = {toml_list(signers)}")
    w_("")
    for dkey, dname, head in dept_rows:
        w_("[[department]]")
        w_(f"key = {toml_str(dkey)}")
        w_(f"name = {toml_str(dname)}")
        w_(f"head = {toml_str(head)}")
        w_("")
    for p in people:
        w_("[[person]]")
        w_(f"key = {toml_str(p.key)}")
        w_(f"name = {toml_str(p.name)}")
        w_(f"title = {toml_str(p.title)}")
        w_(f"department = {toml_str(p.dept)}")
        if p.reports_to:
            w_(f"reports_to = {toml_str(p.reports_to)}")
        w_(f"email = {toml_str(p.key + '@' + args.slug + '.example')}")
        if p.role != "member":
            w_(f"role = {toml_str(p.role)}")
        for k in p.kpis:
            w_("")
            w_("[[person.kpi]]")
            if k.get("group"):
                w_(f"group = {toml_str(k['group'])}")
            w_(f"metric = {toml_str(k['metric'])}")
            if "targets" in k:
                w_(f"targets = {toml_list(k['targets'])}")
            else:
                w_(f"target = {toml_str(k['target'])}")
        w_("")
    for w in whygos:
        w_("[[whygo]]")
        w_(f"key = {toml_str(w['key'])}")
        w_(f"level = {toml_str(w['level'])}")
        if w["level"] == "department":
            w_(f"department = {toml_str(w['scope'])}")
        elif w["level"] == "individual":
            w_(f"person = {toml_str(w['scope'])}")
        if w["level"] != "individual":
            w_(f"owner = {toml_str(w['owner'])}")
        w_(f"number = {w['number']}")
        w_(f"title = {toml_str(w['title'])}")
        if w["status"] != "approved":
            w_(f"status = {toml_str(w['status'])}")
        if w["ladders_to"]:
            w_(f"ladders_to = {toml_list(w['ladders_to'])}")
        w_(f"why = {toml_str(w['why'])}")
        w_(f"goal = {toml_str(w['goal'])}")
        for o in w["outcomes"]:
            w_("")
            w_("[[whygo.outcome]]")
            w_(f"key = {toml_str(o['key'])}")
            w_(f"name = {toml_str(o['name'])}")
            if o["owners"] != [w["owner"]]:
                w_(f"owners = {toml_list(o['owners'])}")
            w_(f"targets = {toml_list(o['targets'])}")
            for k, v in o["extra"].items():
                w_(f"{k} = {'true' if v is True else 'false' if v is False else v}")
        w_("")
    for wk, by, date in signoffs:
        w_("[[signoff]]")
        w_(f"whygo = {toml_str(wk)}")
        w_(f"by = {toml_str(by)}")
        w_(f'date = "{date.isoformat()}"')
        w_("")
    for h in handoffs:
        w_("[[handoff_type]]")
        w_(f"key = {toml_str(h['key'])}")
        w_(f"number = {h['number']}")
        w_(f"name = {toml_str(h['name'])}")
        w_(f"from = {toml_str(h['frm'])}")
        w_(f"to = {toml_str(h['to'])}")
        w_(f"trigger = {toml_str(h['trigger'])}")
        w_(f"sla_hours = {h['sla_hours']}")
        w_(f"sla = {toml_str(h['sla'])}")
        w_(f"checklist = {toml_list(h['checklist'])}")
        w_("")
    for d in deps:
        w_("[[dependency]]")
        w_(f"from = {toml_str(d['frm'])}")
        w_(f"on = {toml_str(d['on'])}")
        w_(f"need = {toml_str(d['need'])}")
        w_(f"deliverable = {toml_str(d['deliverable'])}")
        w_(f"due = {toml_str(d['due'])}")
        if d["criteria"]:
            w_(f"criteria = {toml_str(d['criteria'])}")
        w_("")
    w_(f"# Check-ins: {len(actuals)}, in date order, up to {LAST_CHECKIN.isoformat()}.")
    for key, q, value, date, by, note in actuals:
        w_("[[actual]]")
        w_(f"outcome = {toml_str(key)}")
        w_(f"quarter = {q}")
        w_(f"value = {toml_str(value)}")
        w_(f'date = "{date.isoformat()}"')
        w_(f"by = {toml_str(by)}")
        if note:
            w_(f"note = {toml_str(note)}")
        w_("")

    stats = dict(people=len(people), departments=len(dept_rows), whygos=len(whygos),
                 company=sum(w["level"] == "company" for w in whygos),
                 department=sum(w["level"] == "department" for w in whygos),
                 individual=sum(w["level"] == "individual" for w in whygos),
                 outcomes=sum(len(w["outcomes"]) for w in whygos), actuals=len(actuals),
                 signoffs=len(signoffs), ceo=ceo.key, leaders=[p.key for p in leaders],
                 admin=admin.key)
    return "\n".join(out) + "\n", stats


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--people", type=int, default=2000)
    ap.add_argument("--departments", type=int, default=0,
                    help="default: 60 for 2,000 people, in proportion otherwise (at least 3)")
    ap.add_argument("--whygos", type=int, default=0, help="default: 3.5 per person")
    ap.add_argument("--outcomes", type=int, default=0, help="default: 10 per person")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--slug", default="bigco")
    ap.add_argument("--out", default="-", help="file to write (default: standard output)")
    args = ap.parse_args()
    if args.people < 10:
        sys.exit("--people must be at least 10")
    text, stats = build(args)
    if args.out == "-":
        sys.stdout.write(text)
    else:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(text)
    print(" ".join(f"{k}={v if not isinstance(v, list) else ','.join(v)}" for k, v in stats.items()),
          file=sys.stderr)


if __name__ == "__main__":
    main()

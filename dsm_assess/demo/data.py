"""The demo engagement's data, made once and committed: `make demo-data` (python -m dsm_assess.demo.data).

Fenmoor County Council, a fictional mid-sized public service, assessed twice a year apart:
`engagements/demo-2025/` (the earlier assessment) and `engagements/demo/` (this year's, which
names the earlier one as `previous:` so the report shows progress). Each folder gets:

- `engagement.yaml`: profile, scope, respondents, business context, targets, the target
  operating model and the planning parameters;
- `returned/`: the workbooks the respondents sent back, exported by the kit and filled in with
  openpyxl as a client would (including a corrected file that withdraws one answer);
- `sent.yaml`: the record of the questionnaires sent (respondent, subjects, token), which a fresh
  store is told about so that the returned workbooks are admitted;
- `workshop.yaml` (this year only): one workshop session, replayed through the workshop form:
  the answers of a respondent who answered in the room and the consensus values agreed.

Answers follow realistic patterns: strong incident management and service desk, weak portfolio
management and measurement, respondents who disagree, N/A with reasons, don't-knows, ratings
of largely or fully achieved without evidence. Criteria are chosen by rule (subject, level, the
bank's order), never by literal id, so the data can be made again for any question bank that
loads.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import openpyxl
import yaml

from dsm_assess.capture.workbook import COL, FIRST_ROW, export_workbook, questionnaire_sheets
from dsm_assess.core.paths import engagements_root
from dsm_assess.engagement.spec import (
    Contact,
    EngagementSpec,
    Respondent,
    Size,
    Target,
    engagement_dir,
    load_engagement,
)
from dsm_assess.framework.model import Framework, load_framework
from dsm_assess.store.answers import dropdown_labels

CLIENT = "Fenmoor County Council"
SECTOR = "Local government"
DOMAIN = "fenmoor.example.gov.uk"
SLUG, EARLIER = "demo", "demo-2025"
FULL_DEPTH = ["PR.INC", "PR.SDK", "PR.CHG", "PR.PFM", "PR.MR"]  # asked every criterion this year
STRONG = {"PR.INC": 4.4, "PR.SDK": 4.2, "PR.SRM": 3.7, "PR.MEM": 3.5, "PR.CHG": 3.3}
WEAK = {"PR.PFM": 1.2, "PR.MR": 1.3, "PR.SFM": 1.7, "PR.STM": 1.9, "DSM.DATA": 1.8}
# What moved in the year before (added to last year's maturity to give this year's).
PROGRESS = {"PR.INC": 0.7, "PR.SDK": 0.6, "PR.CHG": 0.6, "PR.KM": 0.5, "PR.SRM": 0.4, "PR.PFM": 0.1, "PR.MR": 0.1}
BUSINESS_CONTEXT = {"CAP.OPERATE": 5, "CAP.COMPLY": 4, "CAP.COCREATE": 4, "CAP.INVEST": 4, "CAP.DEVELOP": 2}
TARGETS = {
    "PR.PFM": Target(level=4, reason="Savings targets mean every investment has to compete for funding on evidence"),
    "PR.MR": Target(level=4, reason="Cabinet asked for monthly service performance it can trust"),
}
DISPUTED = ["PR.CHG", "PR.PRB", "PR.SLM", "PR.KM", "DSM.TOOLS"]  # each's first level-3 criterion is contested
AGREED = 3            # the first three contested criteria get a workshop consensus
NOT_APPLICABLE = {    # subject -> why its top level does not apply, for those outside the digital team
    "PR.SDM": "We buy our line-of-business systems; the suppliers develop them, not us.",
    "PR.DEP": "Deployments to the suppliers' hosted systems are done by the suppliers.",
}
COMMENTS = [
    "Better in the resident-facing services than in the back office.",
    "Varies by team; the infrastructure team is further ahead.",
    "Agreed in principle but not yet followed everywhere.",
    "Started last quarter, too early to tell.",
]


@dataclass
class Person:
    """A respondent of the demo and how they answer."""

    name: str
    role: str
    subjects: list[str]
    returned: str | None = None  # date the workbook came back; None: answered in the workshop
    bias: float = 0.0
    earlier: bool = True          # also answered last year

    @property
    def email(self) -> str:
        return f"{self.name.lower().replace(' ', '.')}@{DOMAIN}"


PEOPLE = [
    Person("Helen Marsh", "head of IT operations", ["PR.INC", "PR.PRB", "PR.MEM", "PR.AVM", "PR.CPM", "PR.IPM",
                                                    "PR.SCON", "DSM.TOOLS"], "2026-01-26", 0.05),
    Person("Dev Raman", "service desk manager", ["PR.SDK", "PR.INC", "PR.SRM", "PR.KM", "PR.SCM", "PR.SLM"],
           "2026-01-27", 0.08),
    Person("Owen Pritchard", "change and release manager", ["PR.CHG", "PR.REL", "PR.DEP", "PR.SVT", "PR.SCFG",
                                                            "PR.ITAM", "DSM.PROC", "PR.PRB"], "2026-01-28", -0.02),
    Person("Grace Adeyemi", "head of digital", ["PR.SDM", "PR.BA", "PR.SD", "PR.PJM", "PR.OCM", "DSM.FUNC",
                                                "PR.REL", "PR.DEP"], "2026-01-29", 0.0, earlier=False),
    Person("Tomasz Wozniak", "information security manager", ["PR.ISM", "PR.RSK", "PR.SCON", "PR.ITAM", "DSM.GOV",
                                                              "DSM.DATA", "PR.CHG"], "2026-01-30", -0.08),
    Person("Fiona Blake", "IT finance and commercial manager", ["PR.SFM", "PR.SUP", "PR.PFM", "DSM.SRC", "PR.PJM"],
           "2026-02-02", -0.05),
    Person("Rashid Khan", "enterprise architect", ["PR.ARC", "PR.STM", "PR.SD", "PR.CI", "DSM.DATA", "DSM.TOOLS",
                                                   "PR.SDM", "PR.IPM"], "2026-02-03", -0.1),
    Person("Claire Dunn", "service level manager", ["PR.SLM", "PR.RLM", "PR.MR", "PR.CI", "PR.SCM", "PR.WTM",
                                                    "DSM.PEOPLE", "PR.KM"], "2026-02-04", 0.02),
    Person("Mark Ellison", "chief digital officer", ["PR.STM", "PR.PFM", "PR.MR", "PR.WTM", "DSM.GOV", "DSM.PEOPLE",
                                                     "DSM.FUNC", "DSM.SRC", "PR.ARC"], None, 0.1),
]
CORRECTED = "Dev Raman"    # sends a corrected workbook that withdraws one answer
WORKSHOP_DATE = "2026-02-12"


@dataclass
class Round:
    """One assessment of the client: this year's or the earlier one."""

    slug: str
    date: dt.date
    seed: int
    previous: str | None = None
    full_depth: list[str] = field(default_factory=list)
    shift: float = 0.0            # subtracted from this year's maturity (the year before)


ROUNDS = [Round(EARLIER, dt.date(2025, 1, 20), 2025, shift=1.0),
          Round(SLUG, dt.date(2026, 1, 19), 2026, previous=EARLIER, full_depth=FULL_DEPTH)]


# ---- the people and what they answer --------------------------------------------------------

def people(fw: Framework, earlier: bool) -> list[Person]:
    """The respondents of a round, with only subjects the framework knows; any subject fewer than
    two of them answer is given to whoever answers the fewest, so every subject is covered."""
    known = [s.id for s in fw.subjects]
    # The year before, everybody answered by workbook (the workshop form came later).
    out = [Person(p.name, p.role, [s for s in p.subjects if s in known], p.returned or (WORKSHOP_DATE if earlier
                                                                                        else None), p.bias, p.earlier)
           for p in PEOPLE if p.earlier or not earlier]
    for s in known:
        while sum(s in p.subjects for p in out) < 2:
            min(out, key=lambda p: len(p.subjects)).subjects.append(s)
    return out


def maturity(fw: Framework, rnd: Round) -> dict[str, float]:
    """The client's hidden maturity per subject in a round (what respondents' answers scatter around)."""
    rng = np.random.default_rng(17)
    base = {s.id: float(np.clip(rng.normal(2.6, 0.35), 1.8, 3.3)) for s in fw.subjects}
    base |= {s: v for s, v in {**STRONG, **WEAK}.items() if s in base}
    if rnd.shift:
        base = {s: max(1.0, v - rnd.shift * PROGRESS.get(s, 0.3)) for s, v in base.items()}
    return base


def answers_for(fw: Framework, eng: EngagementSpec, rnd: Round, crowd: list[Person]) -> dict[str, dict[str, dict]]:
    """respondent e-mail -> criterion id -> the fields they fill in (rating code, reason, ...)."""
    rng = np.random.default_rng(rnd.seed)
    truth = maturity(fw, rnd)
    by_id = {c.id: c for c in fw.criteria}
    out: dict[str, dict[str, dict]] = {}
    for person in crowd:
        mine = out[person.email] = {}
        resp = eng.respondent(person.email)
        for cid in eng.criteria_for(fw, resp):
            c = by_id[cid]
            u = rng.random()
            if u < 0.02:
                continue                                    # left blank
            if c.subject in NOT_APPLICABLE and c.level == 5 and person.role != "head of digital":
                mine[cid] = {"rating": "NA", "na_reason": NOT_APPLICABLE[c.subject]}
                continue
            if u < 0.06 + 0.04 * (c.level == 5):
                mine[cid] = {"rating": "DK", "comment": "Not something I see from my role." if u < 0.04 else None}
                continue
            achieved = 1 / (1 + np.exp(-2.2 * (truth[c.subject] - c.level + 0.5)))
            x = achieved + person.bias + rng.normal(0, 0.12)
            rating = "N" if x < 0.15 else "P" if x < 0.5 else "L" if x < 0.85 else "F"
            evidence = c.evidence[int(rng.integers(len(c.evidence)))] \
                if rating in "LF" and c.evidence and rng.random() < 0.65 else None
            comment = COMMENTS[int(rng.integers(len(COMMENTS)))] if rng.random() < 0.06 else None
            mine[cid] = {"rating": rating, "confidence": int(rng.integers(2, 6)), "evidence": evidence,
                         "comment": comment}
    for cid in contested(fw, eng):
        first, second = [p for p in crowd if cid in eng.criteria_for(fw, eng.respondent(p.email))][:2]
        out[first.email][cid] = {"rating": "F", "confidence": 4, "evidence": None,
                                 "comment": "We do this for every change I know of."}
        out[second.email][cid] = {"rating": "P", "confidence": 4, "evidence": None,
                                  "comment": "Only the larger teams do; the others skip it under pressure."}
    return out


def contested(fw: Framework, eng: EngagementSpec) -> list[str]:
    """The criteria respondents are made to disagree on: each DISPUTED subject's first level-3
    criterion that the engagement asks, where two or more respondents are asked it."""
    asked = {r.email: set(eng.criteria_for(fw, r)) for r in eng.respondents}
    everyone = set(eng.criteria_for(fw))
    out = []
    for subject in DISPUTED:
        cid = next((c.id for c in fw.criteria if c.subject == subject and c.level == 3 and c.id in everyone), None)
        if cid and sum(cid in ids for ids in asked.values()) >= 2:
            out.append(cid)
    return out


# ---- the files ------------------------------------------------------------------------------

def token_for(slug: str, email: str) -> str:
    """A questionnaire token that stays the same when the demo data is made again (a real one is random)."""
    return hashlib.sha256(f"dsm-assess demo {slug} {email}".encode()).hexdigest()[:32]


def fill(path: Path, answers: dict[str, dict], labels: dict[str, str], out: Path, blank: str | None = None) -> Path:
    """Fill in an exported workbook as a client would (typing in the answer cells only) and save it as `out`."""
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets[1:]:
        if ws.sheet_state != "visible":
            continue
        for r in range(FIRST_ROW, ws.max_row + 1):
            a = answers.get(ws.cell(r, COL["id"]).value)
            if a is None or ws.cell(r, COL["id"]).value == blank:
                continue
            ws.cell(r, COL["rating"], labels[a["rating"]])
            for key in ("na_reason", "confidence", "evidence", "comment"):
                if a.get(key) is not None:
                    ws.cell(r, COL[key], a[key])
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return out


# A county council's IT: smaller than the library's reference organisation in staff and services,
# with more sites and about as many suppliers (the roadmap's efforts are scaled to it).
SIZE = Size(staff_in_it=140, services=45, suppliers=28, sites=9, integrations=30)


def engagement_for(fw: Framework, rnd: Round, crowd: list[Person]) -> EngagementSpec:
    scope = [s.id for s in fw.subjects]
    return EngagementSpec(
        slug=rnd.slug, client=CLIENT, sector=SECTOR, assessment_date=rnd.date,
        deadline=rnd.date + dt.timedelta(days=21),
        contact=Contact(name="Mark Ellison", email=f"mark.ellison@{DOMAIN}"), profile="quick-scan",
        bank_version=fw.bank_version, scope=scope, full_depth=[s for s in rnd.full_depth if s in scope],
        respondents=[Respondent(name=p.name, email=p.email, role=p.role, subjects=p.subjects) for p in crowd],
        business_context={k: v for k, v in BUSINESS_CONTEXT.items() if k in {c.id for c in fw.capabilities}},
        targets={k: v for k, v in TARGETS.items() if k in scope}, previous=rnd.previous, size=SIZE)


def tom_design(fw: Framework) -> dict:
    """The operating model the consultant designed with the client, with two deliberate flaws:
    the wide area network is outsourced without an agreement, and governance loosens once live.
    Every control, policies and standards included, is light in discovery and alpha, which `tom
    check` also reports: regulatory policy is mandatory at every stage."""
    owners = {"PR.INC": "Head of IT operations", "PR.SDK": "Service desk manager", "PR.CHG": "Change manager",
              "PR.PFM": "Portfolio manager", "PR.MR": "Head of service management", "PR.ISM": "Information "
              "security manager", "PR.SFM": "IT finance manager", "PR.SUP": "Commercial manager"}
    by_group = {"general": "Chief digital officer", "service": "Head of service management",
                "technical": "Head of IT operations"}
    forums = ["Investment board", "Digital design authority", "Change advisory board", "Release board",
              "Service acceptance board", "Investment board", "Portfolio board"]
    polism = {
        "OM.PROCESSES": ("ITIL processes strong in operations, informal elsewhere",
                         "One value stream per product, practices shared across teams"),
        "OM.ORGANISATION": ("Functional IT teams; digital team separate", "Product teams with named owners"),
        "OM.LOCATIONS": ("County hall data centre and two cloud tenancies", "Cloud first; county hall for the "
                                                                             "network core only"),
        "OM.INFORMATION": ("Reports compiled by hand each month", "Service performance from the ITSM tool"),
        "OM.SUPPLIERS": ("Contracts managed by procurement, little service oversight",
                         "Supplier performance reviewed quarterly against agreements"),
        "OM.MANAGEMENT": ("Budget set per department", "Investment decided per product at the portfolio board"),
    }
    recorded = {"DM.USERS": "Active Directory", "DM.BUSINESS_UNITS": "HR system", "DM.PRODUCTS": "Product register",
                "DM.INTEGRATIONS": "Architecture repository", "DM.CAPABILITIES": "Service catalogue",
                "DM.AGREEMENTS": "Contracts register", "DM.SUPPLIERS": "Contracts register",
                "DM.CMDB": "CMDB in the ITSM tool"}
    controls = {}
    for c in fw.controls:
        controls[c.id] = {"STG.DISCOVERY": "optional", "STG.ALPHA": "recommended", "STG.BETA": "mandatory",
                          "STG.LIVE": "mandatory"}
    controls["CTL.GOVERNANCE"] = {**controls.get("CTL.GOVERNANCE", {}), "STG.LIVE": "optional"}  # deliberate
    stages = {s.id for s in fw.delivery_stages}
    return {
        "products": [
            {"id": "revenues", "name": "Council tax and benefits", "type": "application",
             "owner": "Head of revenues and benefits", "stage": "live",
             "consumes": {"hosting": "supplier", "identity": "shared", "network": "shared", "desk": "shared"}},
            {"id": "social-care", "name": "Adult social care case management", "type": "application",
             "owner": "Head of social care systems", "stage": "live",
             "consumes": {"hosting": "shared", "identity": "shared", "network": "shared", "desk": "shared",
                          "data": "shared"}},
            {"id": "resident-portal", "name": "Resident portal", "type": "application", "owner": "Head of digital",
             "stage": "beta", "consumes": {"hosting": "shared", "identity": "product", "data": "shared"}},
            {"id": "workplace", "name": "Staff workplace", "type": "end-user", "owner": "Head of IT operations",
             "stage": "live", "consumes": {"identity": "shared", "network": "shared", "desk": "shared"}},
            {"id": "libraries", "name": "Libraries and depots", "type": "site", "owner": "Facilities IT lead",
             "stage": "live", "consumes": {"network": "shared", "desk": "shared"}},
            {"id": "waste-routing", "name": "Waste route optimisation", "type": "project",
             "owner": "Waste services programme manager", "stage": "discovery",
             "consumes": {"hosting": "shared", "data": "shared", "skills": "shared"}},
        ],
        "capabilities": [
            {"id": "hosting", "name": "Cloud hosting", "kind": "technology", "provider": "Platform team",
             "sourcing": "outsourced", "supplier": "NimbusCloud", "agreement": "UC"},
            {"id": "identity", "name": "Identity and access", "kind": "technology", "provider": "Platform team",
             "sourcing": "insourced"},
            {"id": "network", "name": "Wide area network", "kind": "technology", "provider": "Network team",
             "sourcing": "outsourced", "supplier": "CountyNet"},  # deliberate: no agreement
            {"id": "desk", "name": "Service desk", "kind": "service", "provider": "IT service desk",
             "sourcing": "insourced", "agreement": "OLA"},
            {"id": "data", "name": "Data and reporting platform", "kind": "technology", "provider": "Data team",
             "sourcing": "insourced"},
            {"id": "skills", "name": "Agile delivery coaching", "kind": "people", "provider": "Digital academy",
             "sourcing": "insourced"},
        ],
        "controls": {c: {s: a for s, a in by.items() if s in stages} for c, by in controls.items()},
        "practice_sourcing": {p: v for p, v in {"PR.ITAM": {"sourcing": "outsourced", "supplier": "LicenceWise",
                                                            "agreement": "UC"}}.items() if p in fw.index},
        "roles": {r.id: who for r, who in zip(fw.roles, ["Sarah Quinn", "Grace Adeyemi", "Claire Dunn",
                                                         "Helen Marsh"] * len(fw.roles), strict=False)},
        "practice_owners": {p.id: owners.get(p.id, by_group.get(p.group, "Head of service management"))
                            for p in fw.practices},
        "toll_gates": {g.id: ({"skipped": True} if g.optional else {"forum": forums[i % len(forums)]})
                       for i, g in enumerate(fw.toll_gates)},
        "polism": {e.id: dict(zip(("today", "target"), polism.get(e.id, ("-", "-")), strict=True))
                   for e in fw.operating_model},
        "data_model": {d.id: recorded.get(d.id, "Service catalogue") for d in fw.data_model},
    }


def planning_settings(fw: Framework, rnd: Round) -> dict:
    """Four quarterly waves from the spring after the assessment; the first quick win that serves
    measurement is pinned to wave 1 (the board asked for it first)."""
    start = rnd.date.replace(month=4, day=6)
    start -= dt.timedelta(days=start.weekday())
    out = {"start": start.isoformat(), "wave_weeks": 12, "waves": 4, "capacity": 48}
    first = next((i.id for i in fw.initiatives if i.type == "quick-win"
                  and any(fw.subject_of.get(c) == "PR.MR" for c in i.criteria)), None)
    if first:
        out["pinned"] = {first: 1}
    return out


HEADER = """\
# The demo engagement shipped with the kit: {client} (fictional), {what}.
# Made by `make demo-data` (dsm_assess/demo_data.py); `make demo` imports returned/ into a
# fresh store and writes the reports. Edit it like any engagement.yaml:
# `dsm-assess engagement show {slug}` validates it.
"""
SECTIONS = [
    ("slug", None), ("client", None), ("sector", None), ("assessment_date", None), ("deadline", None),
    ("contact", None), ("profile", "# Quick scan (one criterion per subject and level) on every subject,\n"
                                  "# and every criterion of the subjects under full_depth."),
    ("bank_version", None), ("scope", None), ("full_depth", None),
    ("previous", "# The same client's assessment a year before: the report shows the progress since."),
    ("respondents", "# {returned} respondents returned workbooks (returned/){workshop}."),
    ("business_context", "# How much the council depends on each digital capability (1-5); targets follow\n"
                          "# from it. Social care, waste and council tax run every day (operate); audit and\n"
                          "# data protection weigh heavily (comply)."),
    ("targets", "# Targets set by hand, each with its reason (they win over the derived ones)."),
    ("size", "# The council's size: initiatives estimated per service, supplier, site or member of staff\n"
             "# are scaled to it (`dsm-assess engagement size demo`)."),
    ("planning", "# The roadmap's parameters: `dsm-assess roadmap demo` (four people's time a wave)."),
    ("tom", "# The target operating model (`dsm-assess tom check demo` reports what is inconsistent)."),
]


def engagement_yaml(eng: EngagementSpec, crowd: list[Person], tom: dict | None, planning: dict | None) -> str:
    """engagement.yaml as text, one section after another with a comment saying what it is."""
    in_room = [p.role for p in crowd if p.returned is None]
    facts = {"returned": sum(p.returned is not None for p in crowd),
             "workshop": f";\n# the {', '.join(in_room)} answered in the workshop (workshop.yaml)" if in_room else ""}
    data = eng.model_dump(mode="json", exclude_none=True)
    data["tom"], data["planning"] = tom or {}, planning or {}
    what = "this year's assessment" if eng.previous else "its assessment a year before"
    out = [HEADER.format(client=eng.client, what=what, slug=eng.slug)]
    for key, comment in SECTIONS:
        if data.get(key) in (None, [], {}):
            continue
        if comment:
            out.append("\n" + comment.format(**facts) + "\n")
        out.append(yaml.safe_dump({key: data[key]}, sort_keys=False, allow_unicode=True, width=110))
    return "".join(out)


def make_round(fw: Framework, rnd: Round, root: Path) -> Path:
    """Write one round's folder (engagement.yaml, returned/, sent.yaml, workshop.yaml); returns it."""
    crowd = people(fw, earlier=rnd.previous is None)
    eng = engagement_for(fw, rnd, crowd)
    folder = engagement_dir(rnd.slug, root)
    for generated in ("returned", "inbox", "outbox"):
        shutil.rmtree(folder / generated, ignore_errors=True)
    for name in ("sent.yaml", "workshop.yaml", "responses.sqlite", "responses.sqlite-wal", "responses.sqlite-shm"):
        (folder / name).unlink(missing_ok=True)
    folder.mkdir(parents=True, exist_ok=True)
    tom = tom_design(fw) if rnd.previous else None
    text = engagement_yaml(eng, crowd, tom, planning_settings(fw, rnd))
    (folder / "engagement.yaml").write_text(text, encoding="utf-8")
    eng = load_engagement(rnd.slug, root, fw)  # as a consultant's file is read: validated

    labels = dropdown_labels(fw)
    answers = answers_for(fw, eng, rnd, crowd)
    sent = []
    with tempfile.TemporaryDirectory(prefix="dsm-demo-outbox-") as outbox:
        for person in crowd:
            if person.returned is None:
                continue
            resp = eng.respondent(person.email)
            token = token_for(rnd.slug, person.email)
            sheets = questionnaire_sheets(fw, eng, resp)
            sent.append({"respondent": person.email, "subjects": list(sheets), "token": token,
                         "bank_version": eng.bank_version})
            book = export_workbook(fw, eng, resp, Path(outbox), token=token, sheets=sheets)
            returned = dt.date.fromisoformat(person.returned).replace(year=rnd.date.year)
            name = f"{returned.isoformat()}-{person.name.lower().replace(' ', '-')}"
            first = fill(book, answers[person.email], labels, folder / "returned" / f"{name}.xlsx")
            if person.name == CORRECTED:
                # A week later the respondent sends their own copy again with one rating cleared:
                # the import reads that as withdrawing the answer.
                gone = withdrawn_criterion(fw, eng, resp, answers[person.email])
                later = (returned + dt.timedelta(days=7)).isoformat()
                clear(first, folder / "returned" / f"{later}-{person.name.lower().replace(' ', '-')}-corrected.xlsx",
                      gone)
    header = ("# The questionnaires sent to the respondents, as the store recorded them when they were exported.\n"
              "# `make demo` starts a fresh store and records them again, so that the returned workbooks\n"
              "# (which carry these tokens) are admitted, as they would be by the store that sent them.\n")
    (folder / "sent.yaml").write_text(header + yaml.safe_dump({"questionnaires": sent}, sort_keys=False),
                                      encoding="utf-8")
    if rnd.previous:
        (folder / "workshop.yaml").write_text(workshop_yaml(fw, eng, crowd, answers), encoding="utf-8")
    return folder


def withdrawn_criterion(fw: Framework, eng: EngagementSpec, resp: Respondent, mine: dict) -> str:
    """The answer the corrected workbook withdraws: the first level-4 criterion of the respondent's
    first subject that they answered."""
    ids = eng.criteria_for(fw, resp)
    by_id = {c.id: c for c in fw.criteria}
    return next(i for i in ids if by_id[i].level == 4 and i in mine)


def clear(path: Path, out: Path, criterion: str) -> None:
    """A copy of a returned workbook with one criterion's answer cells blanked, as a client would."""
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets[1:]:
        for r in range(FIRST_ROW, ws.max_row + 1):
            if ws.cell(r, COL["id"]).value == criterion:
                for key in ("rating", "na_reason", "confidence", "evidence", "comment"):
                    ws.cell(r, COL[key]).value = None
    wb.save(out)


def workshop_yaml(fw: Framework, eng: EngagementSpec, crowd: list[Person], answers: dict) -> str:
    """The workshop session: the answers given in the room and the consensus values agreed."""
    in_room = [p for p in crowd if p.returned is None]
    given = [{"respondent": p.email, "criterion": cid, **{k: v for k, v in a.items() if v is not None}}
             for p in in_room for cid, a in answers[p.email].items()]
    agreed = [{"criterion": cid, "rating": "L", "rationale": "Agreed in the workshop: the process is written "
                                                             "down and mostly followed; the smaller teams catch up "
                                                             "by the summer."}
              for cid in contested(fw, eng)[:AGREED]]
    session = {"date": WORKSHOP_DATE, "facilitator": "Assessment lead",
               "attendees": [p.name for p in crowd][:6] + [p.name for p in in_room]}
    header = ("# One workshop session, replayed by `make demo` through the workshop form\n"
              "# (dsm_assess/form.py, as a consultant fills it in): the answers of a respondent who\n"
              "# answered in the room, and the consensus values agreed on contested criteria.\n")
    return header + yaml.safe_dump({"session": session, "answers": given, "consensus": agreed}, sort_keys=False,
                                   allow_unicode=True, width=110)


def main(root: Path | None = None) -> None:
    fw = load_framework()
    root = Path(root) if root else engagements_root()
    for rnd in ROUNDS:
        folder = make_round(fw, rnd, root)
        print(f"{folder}: engagement.yaml, {len(list((folder / 'returned').glob('*.xlsx')))} returned workbooks")
    from dsm_assess.demo.run import prepare
    for rnd in ROUNDS:  # the data must import cleanly, or it is not worth committing
        for line in prepare(fw, rnd.slug, root):
            print(line)


if __name__ == "__main__":
    main()


"""`engagement`: create, inspect and generate client engagements."""

from __future__ import annotations

from typing import Annotated

import typer

from dsm_assess.cli.common import (
    JsonOpt,
    QuestionnairesOpt,
    RootOpt,
    SlugArg,
    app,
    echo_json,
    framework,
    load,
    parse_date,
    split_ids,
    sub_app,
)
from dsm_assess.core.errors import DsmError

engagement_app = sub_app("Create and inspect client engagements.")
app.add_typer(engagement_app, name="engagement")


def resolve_subjects(fw, ids: list[str]) -> list[str]:
    """Subject ids as the framework spells them (`pr.inc` -> `PR.INC`); unknown ones suggest the nearest."""
    return [fw.resolve(i, "subject", [s.id for s in fw.subjects]) for i in ids]


@engagement_app.command("new")
def engagement_new(
    slug: SlugArg,
    client: Annotated[str, typer.Option("--client", help="Client name as it appears in the report.")],
    profile: Annotated[str, typer.Option("--profile", help="quick-scan, full, or a first round that "
                                         "`questionnaire follow-up` builds on: screening or stepwise.")
                       ] = "quick-scan",
    sector: Annotated[str, typer.Option("--sector", help="Client's sector.")] = "",
    scope: Annotated[str | None, typer.Option("--scope", help="Comma-separated subject ids (default: all).",
                                              show_default=False)] = None,
    deadline: Annotated[str | None, typer.Option("--deadline", help="Return-by date, YYYY-MM-DD.",
                                                 show_default=False)] = None,
    contact_name: Annotated[str | None, typer.Option("--contact-name", help="Consultant respondents ask.")] = None,
    contact_email: Annotated[str | None, typer.Option("--contact-email", help="Their e-mail.")] = None,
    root: RootOpt = None, questionnaires: QuestionnairesOpt = None,
) -> None:
    """Create engagements/SLUG/engagement.yaml."""
    from pydantic import ValidationError

    from dsm_assess.engagement.edit import new_engagement
    from dsm_assess.engagement.spec import Contact, engagement_dir, engagement_file
    due = parse_date(deadline, "--deadline")
    try:
        contact = Contact(name=contact_name, email=contact_email) if contact_name and contact_email else None
    except ValidationError as exc:
        raise DsmError(f"--contact-email: {exc.errors()[0]['msg']}") from None
    fw = framework(questionnaires)
    new_engagement(fw, slug, client, profile, root=root, sector=sector,
                   scope=resolve_subjects(fw, split_ids(scope)) or None, deadline=due, contact=contact)
    from dsm_assess.store.backend import init_store
    init_store(engagement_dir(slug, root), slug)  # the store exists from the start: a missing one is then news
    typer.echo(f"created {engagement_file(slug, root)}")


@engagement_app.command("init-store")
def engagement_init_store(slug: SlugArg, root: RootOpt = None, questionnaires: QuestionnairesOpt = None) -> None:
    """Create an engagement's empty response store, when it has none (answers start outstanding)."""
    from dsm_assess.engagement.spec import engagement_dir
    from dsm_assess.store.backend import describe, init_store
    load(slug, root, questionnaires)  # a valid engagement first
    folder = engagement_dir(slug, root)
    if init_store(folder, slug):
        typer.echo(f"created {describe(folder, slug)}, with no answers yet")
    else:
        typer.echo(f"{describe(folder, slug)} already exists; nothing changed")


@engagement_app.command("add-respondent")
def engagement_add_respondent(
    slug: SlugArg,
    name: Annotated[str, typer.Option("--name", help="Full name.")],
    email: Annotated[str, typer.Option("--email", help="E-mail; identifies the respondent.")],
    role: Annotated[str, typer.Option("--role", help="Role, e.g. service desk lead.")],
    subjects: Annotated[str | None, typer.Option("--subjects", help="Comma-separated subject ids they answer "
                                                 "(default: the whole scope).", show_default=False)] = None,
    root: RootOpt = None, questionnaires: QuestionnairesOpt = None,
) -> None:
    """Add someone who answers the questionnaire."""
    from dsm_assess.engagement.edit import add_respondent
    fw = framework(questionnaires)
    r = add_respondent(fw, slug, name, email, role, resolve_subjects(fw, split_ids(subjects)), root)
    typer.echo(f"added {r.name} <{r.email}> to {slug}")


@engagement_app.command("show")
def engagement_show(slug: SlugArg, root: RootOpt = None, questionnaires: QuestionnairesOpt = None,
                    as_json: JsonOpt = False) -> None:
    """Validate and print an engagement."""
    fw, eng = load(slug, root, questionnaires)
    if as_json:
        echo_json(eng.model_dump(mode="json"))
        return
    typer.echo(f"{eng.client} ({eng.slug}), profile {eng.profile}, question bank {eng.bank_version}")
    typer.echo(f"  scope: {len(eng.scope)} subjects, {len(eng.criteria_for(fw))} criteria")
    from dsm_assess.planning.sizing import describe_size
    typer.echo(f"  size: {describe_size(eng.size, fw.reference_size)}")
    for r in eng.respondents:
        typer.echo(f"  {r.name} <{r.email}>, {r.role}: {len(eng.subjects_of(r))} subjects, "
                   f"{len(eng.criteria_for(fw, r))} criteria")


@engagement_app.command("size")
def engagement_size(
    slug: SlugArg,
    staff: Annotated[int | None, typer.Option("--staff", min=0, help="People working in IT, employees and "
                                              "contractors.", show_default=False)] = None,
    services: Annotated[int | None, typer.Option("--services", min=0, help="Business services in the service "
                                                 "catalogue.", show_default=False)] = None,
    suppliers: Annotated[int | None, typer.Option("--suppliers", min=0, help="IT suppliers under contract.",
                                                  show_default=False)] = None,
    sites: Annotated[int | None, typer.Option("--sites", min=0, help="Locations with their own IT support or "
                                              "infrastructure.", show_default=False)] = None,
    integrations: Annotated[int | None, typer.Option("--integrations", min=0, help="Interfaces between systems.",
                                                     show_default=False)] = None,
    clear: Annotated[bool, typer.Option("--clear", help="Remove the size: every figure is the reference "
                                        "organisation's again.")] = False,
    root: RootOpt = None, questionnaires: QuestionnairesOpt = None,
) -> None:
    """Record how big the client is (size: in engagement.yaml), so that the roadmap sizes the initiatives
    estimated per service, supplier, site, integration or person in IT; a figure not given is the
    reference organisation's."""
    from dsm_assess.engagement.edit import set_size
    from dsm_assess.planning.sizing import describe_size
    fw, _ = load(slug, root, questionnaires)
    given = {"staff_in_it": staff, "services": services, "suppliers": suppliers, "sites": sites,
             "integrations": integrations}
    given = {k: v for k, v in given.items() if v is not None}
    if not given and not clear:
        raise DsmError("give at least one of --staff, --services, --suppliers, --sites, --integrations, or --clear")
    size = set_size(fw, slug, given, clear=clear, root=root)
    typer.echo(f"{slug}: size {describe_size(size, fw.reference_size)}")


@engagement_app.command("generate")
def engagement_generate(
    slug: SlugArg,
    respondents: Annotated[int, typer.Option("--respondents", min=1, max=5000, help="How many respondents.")] = 5,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Same seed, same engagement.")] = 1,
    pattern: Annotated[str, typer.Option("--pattern", help="typical, mature, struggling or uneven.")] = "typical",
    profile: Annotated[str, typer.Option("--profile", help="quick-scan or full.")] = "full",
    root: RootOpt = None, questionnaires: QuestionnairesOpt = None,
) -> None:
    """Create a synthetic engagement with plausible answers (for tests, demos, benchmarks)."""
    from dsm_assess.demo.generate import generate_engagement
    eng = generate_engagement(framework(questionnaires), slug, respondents=respondents, seed=seed,
                              pattern=pattern, profile=profile, root=root)
    typer.echo(f"generated {slug}: {len(eng.respondents)} respondents, pattern {pattern}, seed {seed}")


@engagement_app.command("upgrade")
def engagement_upgrade(
    slug: SlugArg,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what would happen; change nothing.")] = False,
    root: RootOpt = None, questionnaires: QuestionnairesOpt = None, as_json: JsonOpt = False,
) -> None:
    """Move an engagement to the current question bank: carry answers whose question is unchanged,
    list what must be asked again. No stored answer is changed or removed."""
    from dsm_assess.capture.upgrade import apply_upgrade, plan_upgrade
    from dsm_assess.cli.common import store
    from dsm_assess.engagement.spec import engagement_file
    fw, eng = load(slug, root, questionnaires)
    with store(slug, root) as st:
        plan = plan_upgrade(fw, eng, st)
        if not dry_run:
            apply_upgrade(fw, eng, st, plan, engagement_file(slug, root))
    if as_json:
        echo_json({"dry_run": dry_run, **plan.as_json()})
        return
    verb = "would carry" if dry_run else "carried"
    typer.echo(f"{slug}: question bank {plan.from_version} -> {plan.to_version}"
               + (" (dry run: nothing changed)" if dry_run else ""))
    typer.echo(f"  {plan.kept} answers on unchanged criteria kept")
    typer.echo(f"  {len(plan.carried)} answers {verb} to reworded or moved criteria"
               + (f", and {len(plan.consensus)} consensus values" if plan.consensus else ""))
    for old, a in plan.carried:
        typer.echo(f"    {a.respondent}: {old} -> {a.criterion_id} ({a.rating})")
    typer.echo(f"  {plan.reask_count} criteria to ask again (replaced, split or merged), the old answer shown as "
               "a hint:")
    for who, ids in plan.reask.items():
        typer.echo(f"    {who}: " + ", ".join(f"{new} (was {', '.join(old for old, _ in olds)})"
                                             for new, olds in ids.items()))
    if plan.dropped:
        typer.echo(f"  {len(plan.dropped)} answers on dropped criteria stay in the history only")
    if plan.reask_count and not dry_run:
        typer.echo(f"next: dsm-assess questionnaire export {slug} --prefill  (asks only what is new, replaced or "
                   "split)")


@engagement_app.command("condition")
def engagement_condition(
    slug: SlugArg,
    condition: Annotated[str, typer.Argument(help="A condition from the bank, e.g. suppliers.")],
    not_held: Annotated[str | None, typer.Option("--not-held", help="Comma-separated subjects for which it does "
                                                 "not hold; their criteria under it are not asked.",
                                                 show_default=False)] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Why, as the report should say it.",
                                               show_default=False)] = None,
    clear: Annotated[bool, typer.Option("--clear", help="Remove the declaration: ask those criteria again.")] = False,
    root: RootOpt = None, questionnaires: QuestionnairesOpt = None,
) -> None:
    """Declare once, per subject, that a bank condition does not hold for this client (e.g. no
    external suppliers take part in PR.SD), instead of every respondent answering N/A."""
    from dsm_assess.core.text import check_text
    from dsm_assess.engagement.edit import edit_engagement
    from dsm_assess.engagement.spec import load_engagement
    fw, eng = load(slug, root, questionnaires)
    known = {c.id: c for c in fw.conditions}
    if condition not in known:
        raise DsmError(f"unknown condition {condition!r}; one of {', '.join(known) or '(none in this bank)'}")
    if not clear and not (not_held and reason and reason.strip()):
        raise DsmError("give --not-held SUBJECTS and --reason (saying why), or --clear")
    if reason is not None:
        check_text(reason, "--reason")
    subjects = [] if clear else resolve_subjects(fw, split_ids(not_held))
    outside = [s for s in subjects if s not in eng.scope]
    if outside:
        raise DsmError(f"not in the engagement's scope: {', '.join(outside)}")

    def change(data) -> None:
        kept = [d for d in data.get("conditions") or [] if d.get("condition") != condition]
        if subjects:
            kept.append({"condition": condition, "subjects": subjects, "reason": reason.strip()})
        data["conditions"] = kept
    edit_engagement(fw, slug, change, root=root, action="condition cleared" if clear else "condition declared",
                    detail={"condition": condition, "subjects": subjects, "reason": None if clear else reason.strip()})
    eng = load_engagement(slug, root, fw)
    left_out = [cid for cid, d in eng.excluded(fw).items() if d.condition == condition]
    typer.echo(f"{slug}: {known[condition].not_held} for {', '.join(subjects)}; {len(left_out)} criteria not asked"
               if subjects else f"{slug}: no declaration for {condition}; its criteria are asked again")


@engagement_app.command("full-depth")
def engagement_full_depth(
    slug: SlugArg,
    subjects: Annotated[str | None, typer.Argument(metavar="SUBJECTS", help="Comma-separated subjects of the scope "
                                                   "to ask every criterion of, whatever the profile.",
                                                   show_default=False)] = None,
    clear: Annotated[bool, typer.Option("--clear", help="Ask these subjects at the profile's depth again.")] = False,
    root: RootOpt = None, questionnaires: QuestionnairesOpt = None,
) -> None:
    """Ask every criterion of some subjects (full_depth: in engagement.yaml), e.g. where the client's
    attention is; the rest keep the profile's depth."""
    from dsm_assess.engagement.edit import edit_engagement
    fw, eng = load(slug, root, questionnaires)
    if not clear and not split_ids(subjects):
        raise DsmError("give SUBJECTS (e.g. PR.INC,PR.CHG), or --clear")
    chosen = [] if clear else resolve_subjects(fw, split_ids(subjects))
    outside = [s for s in chosen if s not in eng.scope]
    if outside:
        raise DsmError(f"not in the engagement's scope: {', '.join(outside)}")

    def change(data) -> None:
        data["full_depth"] = chosen
    edit_engagement(fw, slug, change, root=root, action="full depth set", detail={"subjects": chosen})
    typer.echo(f"{slug}: every criterion asked of {', '.join(chosen)}" if chosen
               else f"{slug}: every subject asked at the depth of profile {eng.profile}")

"""``yachay.tutor.simulation``: teach simulated students with each policy and compare.

A standalone click command; the ``tutor`` group adds it with ``tutor.add_command(simulate)``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from yachay.tutor.simulation import POLICY_NAMES, SimConfig, SimReport

__all__ = ["simulate"]


@click.command("simulate")
@click.option(
    "--students",
    default=200,
    show_default=True,
    type=click.IntRange(min=1),
    help="Simulated students (each is taught by every policy).",
)
@click.option(
    "--days", default=30, show_default=True, type=click.IntRange(min=1), help="Days of daily calls."
)
@click.option(
    "--seed", default=0, show_default=True, type=int, help="Same seed, same students, same numbers."
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of a table.")
@click.option(
    "--pack",
    type=click.Path(exists=True, path_type=Path),
    help="Use this content pack's skills, prerequisites and items instead of the "
    "synthetic curriculum.",
)
@click.option(
    "--policy",
    "policies",
    multiple=True,
    type=click.Choice(sorted(POLICY_NAMES)),
    help="Policy to run; repeat for several (default: adaptive, fixed, random, oracle). "
    "adaptive is the production tutor (the served model, trained as `yachay tutor train` "
    "trains it, retrained weekly); adaptive-filter is the same policy driven by the "
    "simulation's per-skill filter, adaptive-untimed that filter without response times, "
    "adaptive-refit the production path with that filter refitted weekly.",
)
@click.option(
    "--fixed-items",
    default=SimConfig.fixed_items_per_skill,
    show_default=True,
    type=click.IntRange(min=1),
    help="Questions per skill in the fixed curriculum.",
)
@click.option(
    "--zpd-centre",
    type=click.FloatRange(0, 1),
    default=None,
    help="Success rate (without guessing) at which simulated children learn "
    "fastest [default: 0.7].",
)
@click.option(
    "--zpd-width",
    type=click.FloatRange(min=0.01),
    default=None,
    help="How far from that centre learning stays fast [default: 0.3].",
)
@click.option(
    "--workers",
    default=min(2, os.cpu_count() or 1),
    show_default="2, or 1 on a single core",
    type=click.IntRange(min=1),
    help="Processes to share the students (the results do not change).",
)
def simulate(
    students: int,
    days: int,
    seed: int,
    as_json: bool,
    pack: Path | None,
    policies: tuple[str, ...],
    fixed_items: int,
    zpd_centre: float | None,
    zpd_width: float | None,
    workers: int,
) -> None:
    """Teach simulated students with each policy; report what they learned.

    Students whose hidden knowledge grows with practice (fastest on questions they can
    nearly do, slowly without the prerequisites) and fades between calls call daily for a
    few minutes. Policies: adaptive (production: the served model, trained as `yachay
    tutor train` trains it on logged answers and retrained weekly, deciding as the server
    does), fixed curriculum order, random, and an oracle that sees the hidden knowledge.
    Reported per policy: skills mastered per hour of calls and final mastery, with the
    ratios adaptive/fixed and adaptive/oracle, and each retraining of the served model.
    See ``yachay.tutor.simulation`` for the model.
    """
    from dataclasses import replace

    from yachay.tutor.simulation import pack_curriculum
    from yachay.tutor.simulation import simulate as run

    config = SimConfig(students=students, days=days, seed=seed, fixed_items_per_skill=fixed_items)
    if policies:
        config = replace(config, policies=tuple(p for p in POLICY_NAMES if p in policies))
    model = {}
    if zpd_centre is not None:
        model["zpd_centre"] = zpd_centre
    if zpd_width is not None:
        model["zpd_width"] = zpd_width
    if model:
        config = replace(config, model=replace(config.model, **model))
    curriculum = None
    if pack is not None:
        from yachay.content.loader import PackError

        try:
            curriculum = pack_curriculum(pack)
        except PackError as exc:
            raise click.ClickException(f"{pack} is not a valid pack:\n{exc}") from None
    report = run(config, curriculum, workers=workers)
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2))
    else:
        _print_table(report)


def _print_table(report: SimReport) -> None:
    from rich.console import Console
    from rich.table import Table

    c = report.config
    table = Table(
        title=f"{c.students} simulated students, {c.days} days "
        f"({report.curriculum}: {report.skills} skills, {report.items} questions)"
    )
    table.add_column("policy", no_wrap=True, min_width=max(map(len, report.results)))
    for column in (
        "skills mastered / hour",
        "skills mastered / student",
        "final mastery",
        "grade skills mastered",
        "right answers",
        "hours of calls",
    ):
        table.add_column(column, justify="right")
    for name, r in report.results.items():
        table.add_row(
            name,
            f"{r.skills_mastered_per_hour:.2f}",
            f"{r.skills_mastered_per_student:.2f}",
            f"{r.final_mastery:.3f}",
            f"{100 * r.mastered_share:.1f} %",
            f"{100 * r.practice_accuracy:.1f} %",
            f"{r.hours:.1f}",
        )
    console = Console()
    console.print(table)
    for pair, ratio in report.ratios.items():
        per_hour, final = (
            "n/a" if v is None else f"x{v:.2f}"
            for v in (ratio["skills_mastered_per_hour"], ratio["final_mastery"])
        )
        console.print(f"{pair}: skills mastered per hour {per_hour}, final mastery {final}")
    if report.production:
        p = report.production
        for r in p["retrainings"]:
            auc, filter_auc = (
                "n/a" if v is None else f"{v:.3f}" for v in (r["holdout_auc"], r["filter_auc"])
            )
            console.print(
                f"day {r['day']}: {p['model']} on {r['answers']} answers, holdout AUC {auc} "
                f"(skill filter, which decides: {filter_auc}), "
                f"{'promoted' if r['promoted'] else 'not promoted'} ({r['reason']})"
            )
    if report.fitted:
        fitted = ", ".join(f"{k}={v:g}" for k, v in report.fitted.items())
        console.print(f"filter fitted on the warm-up cohort: {fitted}")
    console.print(f"seed {c.seed}, {report.seconds:.1f} s")

"""What the results pages and reports show: ``results.json`` joined with the campaign's
bilingual names, translated warnings and the charts. Shared by the pages and the exports so
they never disagree."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from flask_babel import get_locale
from markupsafe import Markup
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from awards.models import Campaign
from awards.results import charts
from awards.scoring.combine import FINALIST_LABEL

WARNINGS = {
    "district_left_out": _l("District %(district)s has no valid ballots and is left out "
                            "of the weighting."),
    "few_valid_ballots": _l("District %(district)s has only %(valid)s valid ballots "
                            "(fewer than 30); its weighted share rests on few ballots."),
    "ineligible_scores_ignored": _l("Scores for departments that are not eligible were "
                                    "ignored: %(departments)s."),
    "best_public_image_not_conclusive": _l(
        "The Best Public Image lead of %(department)s is not statistically conclusive: it "
        "comes first in %(percent)s of the bootstrap resamples (below 95%%)."),
    "final_scores_ignored": _l("Final-round scores for departments that are not finalists "
                               "were ignored: %(departments)s."),
    "final_round_incomplete": _l("The final round is incomplete: no final-round scores yet "
                                 "for %(departments)s."),
}
METHOD_NAMES = {
    "mean": _l("Mean"),
    "median": _l("Median"),
    "trimmed": _l("Trimmed mean"),
    "zscore": _l("Z-score"),
    "additive": _l("Additive"),
}
METHOD_LABELS = {
    "mean": _l("Mean"),
    "median": _l("Median"),
    "trimmed": _l("Trimmed mean"),
    "zscore": _l("Standardised (z-score)"),
    "additive": _l("Additive (adjusts for judge leniency)"),
}


def is_chinese() -> bool:
    return str(get_locale() or "en").startswith("zh")


def local_name(obj: Any) -> str:
    """``name_zh`` in Chinese (when set), else ``name_en`` — the ``|bi`` filter in Python."""
    zh = getattr(obj, "name_zh", None)
    return zh if is_chinese() and zh else getattr(obj, "name_en", "")


def percent(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value * 100:.{digits}f}%"


@dataclass
class ResultsView:
    """Rows ready for templates and reports; ``dept`` values are objects with
    ``code``, ``name_en`` and ``name_zh`` (use ``|bi``)."""

    results: dict[str, Any]
    departments: dict[str, Any]
    districts: dict[str, Any]
    public_rows: list[dict[str, Any]] = field(default_factory=list)
    judge_rows: list[dict[str, Any]] = field(default_factory=list)
    effects: list[tuple[str, float]] = field(default_factory=list)
    preliminary: list[dict[str, Any]] = field(default_factory=list)
    final_rows: list[dict[str, Any]] = field(default_factory=list)
    final_effects: list[tuple[str, float]] = field(default_factory=list)
    sensitivity: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    best: dict[str, Any] = field(default_factory=dict)
    finalists: list[Any] = field(default_factory=list)

    def dept(self, code: str) -> Any:
        return self.departments.get(code) or SimpleNamespace(code=code, name_en=code,
                                                             name_zh=code)

    @property
    def method_name(self) -> str:
        method = self.results["judges"]["method"]
        return str(METHOD_NAMES.get(method, method))

    @property
    def method_label(self) -> str:
        method = self.results["judges"]["method"]
        return str(METHOD_LABELS.get(method, method))

    def svgs(self) -> dict[str, Any]:
        """The charts as inline SVG markup: each chart twice, wide and narrow; the style
        sheet shows the narrow one on phones and the wide one on larger screens."""
        wide, narrow = self.charts(), self.charts(charts.NARROW)
        return {key: Markup(charts.to_svg(wide[key]) + charts.to_svg(narrow[key]))
                for key in wide}

    def charts(self, layout: charts.Layout = charts.WIDE) -> dict[str, charts.Chart]:
        """The three charts, with text in the current language (``layout`` NARROW: the
        phone version, whose ids end in ``-narrow``)."""
        return {
            "public": public_chart(self, layout),
            "judges": judges_chart(self, layout),
            "combined": combined_chart(self, layout),
        }


def build_view(campaign: Campaign, results: dict[str, Any]) -> ResultsView:
    """Join ``results`` with ``campaign``'s names and translate what the engine says."""
    view = ResultsView(results=results,
                       departments={d.code: d for d in campaign.departments},
                       districts={d.code: d for d in campaign.districts})
    public = results["public"]
    view.public_rows = [
        {**row, "dept": view.dept(row["department"])}
        for row in sorted(public["departments"],
                          key=lambda r: (-r["weighted_share"], r["department"]))
    ]
    prelim = results["judges"]["preliminary"]
    view.judge_rows = [
        {"dept": view.dept(code), "department": code, "score": score,
         "raw_mean": prelim.get("raw_means", {}).get(code)}
        for code, score in sorted(prelim["scores"].items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    view.effects = sorted(prelim.get("effects", {}).items())
    view.preliminary = [{**row, "dept": view.dept(row["department"])}
                        for row in results["preliminary"]]
    tiers = {t.name_en: t for t in campaign.award_tiers}
    view.final_rows = [
        {**row, "dept": view.dept(row["department"]),
         "award_label": award_label(row["award"], tiers)}
        for row in results.get("final") or []
    ]
    final = results["judges"].get("final")
    view.final_effects = sorted((final or {}).get("effects", {}).items())
    view.sensitivity = _sensitivity_rows(view, results.get("sensitivity") or {})
    view.warnings = [warning_text(w, view) for w in results.get("warnings", [])]
    view.finalists = [view.dept(code) for code in results["finalists"]]
    view.best = _best(view, results)
    return view


def award_label(name_en: str, tiers: dict[str, Any]) -> str:
    if name_en == FINALIST_LABEL:
        return _("Finalist")
    tier = tiers.get(name_en)
    return local_name(tier) if tier is not None else name_en


def warning_text(warning: dict[str, Any], view: ResultsView) -> str:
    """The warning in the current language, by its ``code``; the engine's English message
    when the code is unknown."""
    template = WARNINGS.get(warning.get("code", ""))
    if template is None:
        return str(warning.get("message", warning.get("code", "")))
    district = warning.get("district")
    names = ", ".join(local_name(view.dept(c)) for c in warning.get("departments", []))
    department = warning.get("department")
    return str(template) % {
        "district": local_name(view.districts[district]) if district in view.districts
        else district,
        "valid": warning.get("valid"),
        "departments": names,
        "department": local_name(view.dept(department)) if department else "",
        "percent": percent(warning.get("p_best_public_image")),
    }


def _best(view: ResultsView, results: dict[str, Any]) -> dict[str, Any]:
    code = results["best_public_image"]
    row = next((r for r in results["public"]["departments"] if r["department"] == code), {})
    p_best = row.get("p_best_public_image")
    conclusive = results.get("best_public_image_conclusive")
    return {
        "dept": view.dept(code),
        "row": row,
        "p_best": p_best,
        "conclusive": conclusive,
        "others_percent": percent(1 - p_best, 0) if p_best is not None else None,
    }


def _sensitivity_rows(view: ResultsView, table: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for kind in ("methods", "public_weights"):
        for row in table.get(kind, []):
            rows.append({
                **row, "kind": kind,
                "method_label": str(METHOD_LABELS.get(row["method"], row["method"])),
                "depts": [view.dept(c) for c in row.get("finalists") or []],
            })
    return rows


def chart_sentences() -> dict[str, str]:
    """The one-sentence explanation printed under each chart."""
    return {
        "public": _("Each bar is a department's share of households naming it, weighted to "
                    "the district populations, with its %(level)s confidence interval as a "
                    "black line; the ring is the raw, unweighted share.", level="95%"),
        "judges": _("The ring is the plain mean of the judges' scores and the dot the score "
                    "after allowing for how strict or lenient each judge was."),
        "combined": _("Public vote and judges' scores combined into one score; departments "
                      "above the dashed line go to the final round."),
    }


def _ident(base: str, layout: charts.Layout) -> str:
    """Element ids stay unique when both versions of a chart are on one page."""
    return base if layout is charts.WIDE else f"{base}-{layout.name}"


def public_chart(view: ResultsView, layout: charts.Layout = charts.WIDE) -> charts.Chart:
    rows = [
        charts.ShareRow(
            label=local_name(r["dept"]), share=r["share"], weighted=r["weighted_share"],
            low=r["ci95"][0], high=r["ci95"][1],
            tooltip=_("%(name)s: weighted share %(weighted)s (95%% interval %(low)s to "
                      "%(high)s); raw share %(raw)s",
                      name=local_name(r["dept"]), weighted=percent(r["weighted_share"]),
                      low=percent(r["ci95"][0]), high=percent(r["ci95"][1]),
                      raw=percent(r["share"])))
        for r in view.public_rows
    ]
    return charts.public_shares_chart(
        rows, title=_("Public vote: share of households naming each department"),
        desc=_("Bars show each department's weighted share of valid ballots with its "
               "%(level)s confidence interval as a black line; rings show the raw, unweighted "
               "share. Largest weighted share first.", level="95%"),
        weighted_label=_("Weighted share, %(level)s interval", level="95%"),
        raw_label=_("Raw share"),
        axis_label=_("Share of valid ballots naming the department"),
        layout=layout, ident=_ident("chart-public", layout))


def judges_chart(view: ResultsView, layout: charts.Layout = charts.WIDE) -> charts.Chart:
    rows = [
        charts.JudgeRow(
            label=local_name(r["dept"]), raw_mean=r["raw_mean"], adjusted=r["score"],
            tooltip=_("%(name)s: judges' raw mean %(raw).1f, adjusted score %(adjusted).1f",
                      name=local_name(r["dept"]), raw=r["raw_mean"], adjusted=r["score"]))
        for r in view.judge_rows if r["raw_mean"] is not None
    ]
    return charts.judge_scores_chart(
        rows, title=_("Judges' scores: raw mean and adjusted score"),
        desc=_("For each department the ring is the plain mean of its judges' scores and "
               "the dot the score after the judge method (%(method)s); the line between "
               "them is the adjustment. Highest adjusted score first.",
               method=view.method_label),
        raw_label=_("Raw mean"), adjusted_label=_("Adjusted score J"),
        axis_label=_("Judge score (0 to 100)"),
        layout=layout, ident=_ident("chart-judges", layout))


def combined_chart(view: ResultsView, layout: charts.Layout = charts.WIDE) -> charts.Chart:
    rows = [
        charts.CombinedRow(
            label=local_name(r["dept"]), display=r["display"], finalist=r["finalist"],
            tooltip=_("%(rank)s. %(name)s: combined score %(display).1f",
                      rank=r["rank"], name=local_name(r["dept"]), display=r["display"]))
        for r in view.preliminary
    ]
    gap = view.results.get("cut_gap")
    cut = (_("Finalist cut (gap %(gap).4f)", gap=gap) if gap is not None
           else _("Finalist cut"))
    return charts.combined_chart(
        rows, title=_("Combined preliminary score and the finalist cut"),
        desc=_("Bars show each department's combined score T = 50 + 10 × C, drawn from the "
               "average of 50, in rank order; finalists are dark blue and the dashed line "
               "marks the finalist cut."),
        finalist_label=_("Finalist"), other_label=_("Not a finalist"), cut_label=cut,
        axis_label=_("Combined score T (average 50)"),
        layout=layout, ident=_ident("chart-combined", layout))

"""Result exports: CSV (ranking and public shares), XLSX (sheets public, judges, combined,
final) and a PDF report with the charts. Text follows the current language; numbers are
unrounded in CSV and XLSX (rounded for reading in the PDF)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from awards.audit.service import record
from awards.csvfile import escape_formula
from awards.extensions import db
from awards.models import Campaign, ResultVersion
from awards.results.report_pdf import export_pdf
from awards.results.services import results_to_json, version_results
from awards.results.view import ResultsView, build_view

CSV_HEADER = (
    "rank", "department", "name_en", "name_zh", "finalist", "combined", "display",
    "public_z", "judge_z", "judge_score", "judge_raw_mean", "count", "share",
    "weighted_share", "se", "ci95_low", "ci95_high", "p_finalist", "p_best_public_image",
    "rank95_low", "rank95_high", "best_public_image", "final_rank", "final_score", "award",
)


def csv_cell(value: Any) -> Any:
    """A CSV cell (SPEC 9: CSV exports escape ``= + - @``): text goes through
    :func:`escape_formula`; numbers stay numbers (a negative number is data, not a
    formula); booleans are ``yes``/``no``; ``None`` is empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    return escape_formula(str(value))


def ranking_rows(view: ResultsView) -> list[dict[str, Any]]:
    """One row per department in combined-rank order, with its public figures."""
    public = {r["department"]: r for r in view.results["public"]["departments"]}
    judges = view.results["judges"]["preliminary"]
    final = {r["department"]: r for r in view.results.get("final") or []}
    best = view.results["best_public_image"]
    rows = []
    for row in view.results["preliminary"]:
        code = row["department"]
        p, f, dept = public.get(code, {}), final.get(code, {}), view.dept(code)
        rank95 = p.get("rank95") or [None, None]
        rows.append({
            "rank": row["rank"], "department": code, "name_en": dept.name_en,
            "name_zh": dept.name_zh, "finalist": row["finalist"],
            "combined": row["combined"], "display": row["display"],
            "public_z": row["public_z"], "judge_z": row["judge_z"],
            "judge_score": judges["scores"].get(code),
            "judge_raw_mean": judges.get("raw_means", {}).get(code),
            "count": p.get("count"), "share": p.get("share"),
            "weighted_share": p.get("weighted_share"), "se": p.get("se"),
            "ci95_low": (p.get("ci95") or [None, None])[0],
            "ci95_high": (p.get("ci95") or [None, None])[1],
            "p_finalist": p.get("p_finalist"),
            "p_best_public_image": p.get("p_best_public_image"),
            "rank95_low": rank95[0], "rank95_high": rank95[1],
            "best_public_image": code == best,
            "final_rank": f.get("rank"), "final_score": f.get("score"),
            "award": f.get("award"),
        })
    return rows


def export_csv(campaign: Campaign, version: ResultVersion) -> bytes:
    """The combined ranking with the public shares, one line per department (UTF-8 with a
    byte-order mark so spreadsheet programs read the Chinese names)."""
    view = build_view(campaign, version_results(version))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for row in ranking_rows(view):
        writer.writerow([csv_cell(row[key]) for key in CSV_HEADER])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


# --------------------------------------------------------------------------- XLSX


def export_xlsx(campaign: Campaign, version: ResultVersion) -> bytes:
    """A workbook with the sheets ``public``, ``judges``, ``combined`` and ``final``."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    view = build_view(campaign, version_results(version))
    results = view.results
    book = Workbook()
    bold = Font(bold=True)

    def sheet(title: str, header: Sequence[str], rows: Iterable[Sequence[Any]], *,
              first: bool = False):
        ws = book.active if first else book.create_sheet()
        ws.title = title
        _append(ws, header, bold)
        for row in rows:
            _append(ws, row)
        ws.freeze_panes = "A2"
        for column, name in zip(ws.columns, header):
            ws.column_dimensions[column[0].column_letter].width = max(10, len(name) + 2)
        return ws

    pub = results["public"]
    ws = sheet("public", ["department", "name_en", "name_zh", "count", "share",
                          "weighted_share", "se", "ci95_low", "ci95_high", "p_finalist",
                          "p_best_public_image", "rank95_low", "rank95_high"],
               ([r["department"], r["dept"].name_en, r["dept"].name_zh, r["count"],
                 r["share"], r["weighted_share"], r["se"], r["ci95"][0], r["ci95"][1],
                 r.get("p_finalist"), r.get("p_best_public_image"),
                 *(r.get("rank95") or [None, None])] for r in view.public_rows),
               first=True)
    ws.append([])
    for key in ("returned", "valid", "spoilt", "deff", "n_eff"):
        _append(ws, [key, pub.get(key)])
    _append(ws, ["best_public_image", results["best_public_image"]])
    _append(ws, ["best_public_image_conclusive", results.get("best_public_image_conclusive")])
    ws.append([])
    _append(ws, ["district", "households", "valid"], bold)
    for d in pub["districts"]:
        _append(ws, [d["district"], d["households"], d["valid"]])

    ws = sheet("judges", ["round", "department", "name_en", "name_zh", "raw_mean",
                          "judge_score"], _judge_rows(view))
    ws.append([])
    _append(ws, ["round", "judge", "effect"], bold)
    for round_name in ("preliminary", "final"):
        section = results["judges"].get(round_name) or {}
        for judge, effect in sorted(section.get("effects", {}).items()):
            _append(ws, [round_name, judge, effect])
    _append(ws, ["method", results["judges"]["method"]])

    ws = sheet("combined", ["rank", "department", "name_en", "name_zh", "public_z",
                            "judge_z", "combined", "display", "finalist"],
               ([r["rank"], r["department"], r["dept"].name_en, r["dept"].name_zh,
                 r["public_z"], r["judge_z"], r["combined"], r["display"], r["finalist"]]
                for r in view.preliminary))
    ws.append([])
    _append(ws, ["cut_gap", results.get("cut_gap")])
    _append(ws, ["finalists", ";".join(results["finalists"])])

    tiers = {t.name_en: t for t in campaign.award_tiers}
    sheet("final", ["rank", "department", "name_en", "name_zh", "score", "median",
                    "award", "award_zh"],
          ([r["rank"], r["department"], r["dept"].name_en, r["dept"].name_zh, r["score"],
            r["median"], r["award"],
            tiers[r["award"]].name_zh if r["award"] in tiers else r["award"]]
           for r in view.final_rows))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _judge_rows(view: ResultsView) -> list[list[Any]]:
    rows = []
    for round_name in ("preliminary", "final"):
        section = view.results["judges"].get(round_name) or {}
        raw = section.get("raw_means", {})
        for code, score in sorted(section.get("scores", {}).items()):
            dept = view.dept(code)
            rows.append([round_name, code, dept.name_en, dept.name_zh, raw.get(code), score])
    return rows


def _append(ws, values: Sequence[Any], font=None) -> None:
    """Append a row; text that looks like a formula is stored as text, never evaluated."""
    ws.append([None if v is None else v for v in values])
    for cell in ws[ws.max_row]:
        if isinstance(cell.value, str) and cell.value.startswith("="):
            cell.data_type = "s"
        if font is not None:
            cell.font = font


def export_json(campaign: Campaign, version: ResultVersion) -> bytes:
    """``results.json`` of the version (SPEC section 8): the bytes ``flask awards results
    SLUG --json`` prints for it (keys sorted, indented by 2, a final newline)."""
    return (results_to_json(version_results(version), indent=2) + "\n").encode("utf-8")


EXPORTS: dict[str, tuple[str, Callable[[Campaign, ResultVersion], bytes]]] = {
    "json": ("application/json", export_json),
    "csv": ("text/csv; charset=utf-8", export_csv),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             export_xlsx),
    "pdf": ("application/pdf", export_pdf),
}


def export_version(campaign: Campaign, version: ResultVersion, fmt: str,
                   actor: str | None = None) -> tuple[str, bytes]:
    """Build the ``fmt`` export of ``version`` and record it as ``results_exported`` in the
    campaign's audit log (SPEC 7: exports are recorded), committed.

    Returns
    -------
    (mimetype, body)
    """
    mimetype, build = EXPORTS[fmt]
    body = build(campaign, version)
    record("results_exported", campaign.slug, {"version": version.version, "format": fmt},
           chain=campaign.slug, actor=actor)
    db.session.commit()
    return mimetype, body

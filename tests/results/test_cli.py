"""``flask awards scores import`` and ``flask awards results [--json]`` (SPEC section 8)."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from awards.extensions import db
from awards.models import ResultVersion, Scorecard

from .conftest import example_sheet

SPEC_KEYS = {"campaign", "spec", "seed", "public", "judges", "preliminary", "finalists",
             "cut_gap", "best_public_image", "final", "sensitivity", "inputs_digest"}


def test_scores_import_dry_run_then_import(runner, example, tmp_path):
    sheet = tmp_path / "scores.csv"
    sheet.write_text(example_sheet(), encoding="utf-8")
    result = runner.invoke(args=["awards", "scores", "import", "example", str(sheet),
                                 "--dry-run"])
    assert result.exit_code == 0, result.stderr
    assert "would import 21 scores" in result.stderr and "nothing was written" in result.stderr
    assert result.stdout == ""
    assert db.session.scalar(select(func.count()).select_from(Scorecard)) == 0
    result = runner.invoke(args=["awards", "scores", "import", "example", str(sheet)])
    assert result.exit_code == 0, result.stderr
    assert "imported 21 scores" in result.stderr
    assert db.session.scalar(select(func.count()).select_from(Scorecard)) == 21


def test_scores_import_errors_exit_1_with_lines(runner, example, tmp_path):
    sheet = tmp_path / "scores.csv"
    sheet.write_text("round,judge,department,criterion,score\n"
                     "preliminary,j1,A,overall,101\npreliminary,j1,E,overall,5\n",
                     encoding="utf-8")
    result = runner.invoke(args=["awards", "scores", "import", "example", str(sheet)])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[1] == ("error: 2 errors in the score sheet; nothing "
                                             "was imported")
    assert "line 2: score 101 is outside 0..100" in result.stderr
    assert "line 3: judge 'j1' has a conflict of interest with 'E'" in result.stderr


def test_scores_import_missing_file_and_campaign(runner, example, tmp_path):
    result = runner.invoke(args=["awards", "scores", "import", "example",
                                 str(tmp_path / "none.csv")])
    assert result.exit_code == 1 and "cannot read" in result.stderr
    result = runner.invoke(args=["awards", "scores", "import", "nope",
                                 str(tmp_path / "none.csv")])
    assert result.exit_code == 1 and "no campaign 'nope'" in result.stderr


def test_results_json_alone_on_stdout(runner, scored):
    scored.bootstrap = 200
    db.session.commit()
    result = runner.invoke(args=["awards", "results", "example", "--json"])
    assert result.exit_code == 0, result.stderr
    results = json.loads(result.stdout)
    assert SPEC_KEYS <= set(results)
    assert results["campaign"] == "example" and results["finalists"] == ["B", "A", "D"]
    assert {"returned", "valid", "spoilt", "deff", "n_eff", "districts",
            "departments"} <= set(results["public"])
    assert {"department", "count", "share", "weighted_share", "se", "ci95", "p_finalist",
            "p_best_public_image"} <= set(results["public"]["departments"][0])
    assert {"method", "preliminary", "final"} <= set(results["judges"])
    assert {"scores", "effects"} <= set(results["judges"]["preliminary"])
    assert {"department", "public_z", "judge_z", "combined", "display", "rank",
            "finalist"} <= set(results["preliminary"][0])
    assert {"department", "score", "median", "rank", "award"} <= set(results["final"][0])
    assert "stored results version 1" in result.stderr
    stored = db.session.scalar(select(ResultVersion))
    assert stored.inputs_digest == results["inputs_digest"]


def test_results_without_json_prints_a_summary_to_stderr(runner, scored):
    scored.bootstrap = 100
    db.session.commit()
    result = runner.invoke(args=["awards", "results", "example"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert "finalists: B, A, D (cut gap 0.7079)" in result.stderr
    assert "Best Public Image: A" in result.stderr


def test_results_errors_are_one_line(runner, example):
    result = runner.invoke(args=["awards", "results", "example", "--json"])
    assert result.exit_code == 1 and result.stdout == ""
    assert "fewer than 2 complete preliminary scorecard" in result.stderr
    assert db.session.scalar(select(func.count()).select_from(ResultVersion)) == 0


def test_results_after_publication_needs_reason(runner, scored):
    scored.bootstrap = 50
    scored.state = "published"
    db.session.commit()
    result = runner.invoke(args=["awards", "results", "example"])
    assert result.exit_code == 1 and "give a reason" in result.stderr
    result = runner.invoke(args=["awards", "results", "example", "--reason", "recount"])
    assert result.exit_code == 0, result.stderr
    assert ("version 1 is not published: publish the correction with flask awards publish "
            "example --reason") in result.stderr
    assert db.session.scalar(select(ResultVersion.published_at)) is None


def test_results_refused_while_voting_is_open(runner, scored):
    import datetime as dt

    from awards.models.base import utcnow

    scored.state = "adjudication"
    scored.voting_opens_at = utcnow() - dt.timedelta(minutes=1)
    from ..conftest import open_the_vote_now

    open_the_vote_now(scored)
    db.session.commit()
    result = runner.invoke(args=["awards", "results", "example", "--json"])
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.splitlines()[-1] == (
        "error: close voting before computing results: exact counts while voting is open "
        "could link ballots to households")
    assert db.session.scalar(select(func.count()).select_from(ResultVersion)) == 0

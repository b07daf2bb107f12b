"""Paper score sheets in the browser (SPEC 5.6 and 8: the organiser's pages do what
``flask awards scores import`` does): check only writes nothing, an import submits the
scorecards, a bad file lists its lines in the reader's language and writes nothing."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from awards.extensions import db
from awards.models import Assignment, Scorecard

from .conftest import example_sheet

PAGE = "/organiser/c/example/judging/sheets"


def upload(client, text: str, dry_run: bool = False):
    client.get(PAGE)
    form = {"sheet": (io.BytesIO(text.encode()), "scores.csv")}
    if dry_run:
        form["dry_run"] = "y"
    return client.post(PAGE, form, content_type="multipart/form-data")


def cards() -> int:
    return db.session.scalar(select(func.count()).select_from(Scorecard))


def test_check_only_writes_nothing_then_the_import_submits_the_scorecards(signed_in, example):
    checked = upload(signed_in, example_sheet(), dry_run=True)
    assert checked.status_code == 200
    assert ("Checked: would import 21 scores: 21 scorecards created, 0 updated, "
            "21 submitted, 21 assignments created.") in checked.get_data(as_text=True)
    assert cards() == 0 and db.session.scalar(select(func.count()).select_from(Assignment)) == 0
    imported = upload(signed_in, example_sheet())
    assert imported.status_code == 200 and "Imported 21 scores" in imported.get_data(as_text=True)
    assert {c.status for c in db.session.scalars(select(Scorecard))} == {"submitted"}
    assert cards() == 21


def test_a_bad_line_refuses_the_file_in_chinese_and_writes_nothing(signed_in, example):
    signed_in.post("/language", {"lang": "zh_Hant_HK", "next": "/"})
    bad = example_sheet().replace("preliminary,j1,A,overall,", "preliminary,j1,A,overall,x", 1)
    response = upload(signed_in, bad)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "沒有匯入任何資料。請修正以下各行後再試：" in html
    assert "<li>第 2 行: score &#39;x79&#39; is not a whole number" in html
    assert cards() == 0


def test_only_organisers_import(client, make_user, example):
    from ..conftest import PASSWORD

    make_user("auditor", "audrey")
    client.signin("audrey", PASSWORD)
    assert client.get(PAGE).status_code in (403, 404)

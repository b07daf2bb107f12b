"""Paper returns: all-or-nothing import with line numbers; spoilt ballots (SPEC 4)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from awards.extensions import db
from awards.models import Ballot, VotingCode
from awards.voting.ballots import CodeNotAccepted, cast_web_ballot
from awards.voting.codes import format_code, generate_code

from .conftest import stored_ballots


def write(tmp_path, lines):
    path = tmp_path / "returns.csv"
    path.write_text("code,choices\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def run(runner, path, *extra):
    return runner.invoke(args=["awards", "ballots", "import", "csea-test", str(path), *extra])


def state():
    return (stored_ballots(),
            dict(db.session.execute(select(VotingCode.state, func.count())
                                    .group_by(VotingCode.state)).all()))


def test_good_file_is_counted_with_spoilt_returns(open_campaign, letters, runner, tmp_path):
    from awards.phases import close_voting

    path = write(tmp_path, [f"{format_code(letters[0].code)},A;B",
                            f"{letters[1].code.lower()},C",
                            f"{letters[2].code},",            # blank: spoilt
                            f"{letters[3].code},A;B;C;D"])    # over-marked: spoilt
    result = run(runner, path)
    assert result.exit_code == 0, result.stderr
    assert "imported 4 paper returns (2 valid, 2 spoilt)" in result.stderr
    close_voting(open_campaign)
    rows = db.session.execute(select(Ballot.choices, Ballot.status, Ballot.channel)).all()
    assert sorted(rows) == [("", "spoilt", "paper"), ("", "spoilt", "paper"),
                            ("A;B", "valid", "paper"), ("C", "valid", "paper")]
    assert state()[1] == {"issued": 86, "used": 4}


def test_dry_run_writes_nothing(open_campaign, letters, runner, tmp_path):
    result = run(runner, write(tmp_path, [f"{letters[0].code},A"]), "--dry-run")
    assert result.exit_code == 0 and "would import 1" in result.stderr
    assert state() == (0, {"issued": 90})


def bad_rows(letters):
    used = letters[9].code
    return {
        "malformed code": ("ABCD-EFGH,A", "malformed code"),
        "unknown code": (f"{format_code(generate_code())},A", "unknown code"),
        "used code": (f"{used},A", "code already used"),
        "unknown department": (f"{letters[4].code},A;ZZ", "unknown department 'ZZ'"),
        "duplicate code in file": (f"{letters[0].code},B", "the same code is on line 2"),
        "wrong field count": (f"{letters[5].code},A,B", "expected 2 fields"),
    }


@pytest.mark.parametrize("case", ["malformed code", "unknown code", "used code",
                                  "unknown department", "duplicate code in file",
                                  "wrong field count"])
def test_each_bad_row_refuses_the_whole_file(case, open_campaign, letters, runner, tmp_path):
    cast_web_ballot(open_campaign, letters[9].code, ["A"])
    before = state()
    row, message = bad_rows(letters)[case]
    path = write(tmp_path, [f"{letters[0].code},A", f"{letters[1].code},B", row])
    result = run(runner, path)
    assert result.exit_code == 1
    assert "nothing was imported" in result.stderr
    assert f"line 4: {message}" in result.stderr
    assert state() == before


def test_paper_then_web_and_web_then_paper(open_campaign, letters, runner, tmp_path):
    assert run(runner, write(tmp_path, [f"{letters[0].code},A"])).exit_code == 0
    with pytest.raises(CodeNotAccepted):
        cast_web_ballot(open_campaign, letters[0].code, ["B"])
    cast_web_ballot(open_campaign, letters[1].code, ["B"])
    result = run(runner, write(tmp_path, [f"{letters[1].code},A"]))
    assert result.exit_code == 1 and "code already used" in result.stderr


def test_paper_outside_the_window_is_refused(sampled_campaign, letters, runner, tmp_path):
    result = run(runner, write(tmp_path, [f"{letters[0].code},A"]))
    assert result.exit_code == 1 and "voting is not open" in result.stderr


def test_paper_after_publication_is_refused_with_audit_event(sampled_campaign, letters, runner,
                                                              tmp_path):
    from awards.audit.service import chain_events

    sampled_campaign.state = "published"
    db.session.commit()
    result = run(runner, write(tmp_path, [f"{letters[0].code},A"]))
    assert result.exit_code == 1 and "is published: its ballots are frozen" in result.stderr
    assert chain_events(sampled_campaign.slug)[-1].action == "change_refused"
    assert state()[0] == 0

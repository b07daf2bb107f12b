"""``flask awards campaign load``: validated whole, nothing written on any error."""

import pytest
from sqlalchemy import func, select

from awards.campaigns.config_file import parse_config
from awards.exceptions import ConfigLoadError
from awards.extensions import db
from awards.models import AuditEvent, Campaign, Conflict, Criterion, Department, District, User

from .conftest import MINIMAL_CONFIG


def row_counts() -> dict[str, int]:
    return {m.__name__: db.session.scalar(select(func.count()).select_from(m))
            for m in (Campaign, Department, District, Criterion, User, Conflict, AuditEvent)}


def load(runner, tmp_path, text: str):
    path = tmp_path / "campaign.toml"
    path.write_text(text, encoding="utf-8")
    return runner.invoke(args=["awards", "campaign", "load", str(path)])


def test_valid_config_creates_campaign(runner, tmp_path, app):
    result = load(runner, tmp_path, MINIMAL_CONFIG)
    assert result.exit_code == 0, result.stderr
    assert "created campaign 'csea-test' (4 departments, 3 districts)" in result.stderr
    campaign = db.session.scalar(select(Campaign))
    assert campaign.name_zh == "顧客服務卓越獎（測試）"
    assert [d.code for d in campaign.departments] == ["A", "B", "C", "D"]
    assert {d.code: d.households for d in campaign.districts} == {
        "IS": None, "KT": 247592, "ST": None}
    assert campaign.entries_required is True
    assert db.session.scalar(select(func.count()).select_from(Conflict)) == 1
    judge = db.session.scalar(select(User).where(User.username == "j01"))
    assert judge.role == "judge" and judge.active is False


BAD_CONFIGS = {
    "affiliations not a list": (
        MINIMAL_CONFIG.replace('conflicts = ["A"]', 'conflicts = ["A"]\naffiliations = "B"'),
        "'affiliations' must be a list of department codes"),
    "unknown affiliation": (
        MINIMAL_CONFIG.replace('conflicts = ["A"]', 'conflicts = ["A"]\naffiliations = ["ZZ"]'),
        "affiliation 'ZZ' is not a department"),
    "unknown conflict department": (
        MINIMAL_CONFIG.replace('conflicts = ["A"]', 'conflicts = ["ZZ"]'),
        "conflict with unknown department 'ZZ'"),
    "weights not summing to 1": (
        MINIMAL_CONFIG.replace("weight = 0.6", "weight = 0.5"),
        "weights of the preliminary round sum to 0.9, not 1"),
    "unknown judge method": (
        MINIMAL_CONFIG.replace("finalists = 3", 'finalists = 3\njudge_method = "borda"'),
        "unknown judge_method 'borda'"),
    "duplicate department code": (
        MINIMAL_CONFIG.replace('code = "D"', 'code = "C"'),
        "[[departments]]: duplicate code 'C'"),
    "duplicate district code": (
        MINIMAL_CONFIG.replace('code = "IS"', 'code = "KT"'),
        "[[districts]]: duplicate code 'KT'"),
    "duplicate criterion code": (
        MINIMAL_CONFIG.replace('code = "courtesy"', 'code = "pledges"'),
        "duplicate code 'pledges' in the preliminary round"),
    "unknown setting": (
        MINIMAL_CONFIG.replace("finalists = 3", "finalists = 3\nfinalist = 8"),
        "unknown setting 'finalist'"),
    "not TOML": ("[campaign\nslug=", "not valid TOML"),
    "public weight out of range": (
        MINIMAL_CONFIG.replace("finalists = 3", "finalists = 3\npublic_weight = 1.5"),
        "'public_weight' must be a number from 0 to 1"),
}


@pytest.mark.parametrize("case", sorted(BAD_CONFIGS))
def test_bad_config_is_refused_with_one_line_and_writes_nothing(case, runner, tmp_path, app):
    text, reason = BAD_CONFIGS[case]
    before = row_counts()
    result = load(runner, tmp_path, text)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert reason in lines[0]
    assert row_counts() == before


def test_bad_update_writes_nothing(runner, tmp_path, campaign):
    before = row_counts()
    result = load(runner, tmp_path, MINIMAL_CONFIG.replace('name_en = "Department A"',
                                                           'name_en = "Renamed"')
                  .replace("weight = 0.6", "weight = 0.7"))
    assert result.exit_code == 1
    assert row_counts() == before
    assert db.session.scalar(select(Department).where(Department.code == "A")).name_en == \
        "Department A"


def test_update_before_freeze_syncs_departments(runner, tmp_path, campaign):
    text = MINIMAL_CONFIG.replace('''[[departments]]
code = "D"
name_en = "Department D"
name_zh = "丁部門"
''', "")
    result = load(runner, tmp_path, text)
    assert result.exit_code == 0, result.stderr
    db.session.expire_all()
    assert [d.code for d in campaign.departments] == ["A", "B", "C"]


def test_entries_required_false():
    spec = parse_config(MINIMAL_CONFIG.replace("finalists = 3",
                                               "finalists = 3\nentries_required = false"))
    assert spec.entries_required is False


def test_every_problem_is_named_at_once():
    text = MINIMAL_CONFIG.replace('conflicts = ["A"]', 'conflicts = ["ZZ"]').replace(
        "weight = 0.6", "weight = 0.5")
    with pytest.raises(ConfigLoadError) as info:
        parse_config(text)
    assert "ZZ" in str(info.value) and "sum to 0.9" in str(info.value)
    assert "\n" not in str(info.value)


def test_published_chain_names_judges_by_pseudonym_only(app):
    from awards.audit.service import chain_events
    from awards.campaigns.services import load_campaign_config
    from awards.models import Judge

    judges = "".join(f'\n[[judges]]\nusername = "judge-{n:02d}"\nname = "Judge {n}"\n'
                     f'conflicts = ["{"ABCD"[n % 4]}"]\n' for n in range(1, 9))
    orders = set()
    for attempt in range(4):
        text = MINIMAL_CONFIG.split("[[judges]]")[0].replace(
            'slug = "csea-test"', f'slug = "csea-test-{attempt}"') + judges
        campaign, _c, _n = load_campaign_config(parse_config(text))
        rows = db.session.execute(select(User.username, Judge.pseudonym).join(
            Judge, Judge.user_id == User.id).where(Judge.campaign_id == campaign.id)).all()
        assert sorted(p for _u, p in rows) == [f"J{n:02d}" for n in range(1, 9)]
        orders.add(tuple(p for _u, p in sorted(rows)))
        for event in chain_events(campaign.slug):
            assert "judge-0" not in event.subject + event.data
    assert len(orders) > 1  # pseudonyms do not follow username order


# --------------------------------------------------------------------------- sizes and characters

LONG = "x" * 10_000


def replaced(old: str, new: str) -> str:
    assert old in MINIMAL_CONFIG, old
    return MINIMAL_CONFIG.replace(old, new, 1)


BAD_STRINGS = {
    "campaign name of 10,000 characters": (
        replaced('name_en = "Customer Service Excellence Award (test)"',
                 f'name_en = "{LONG}"'),
        "[campaign]: 'name_en' is 10,000 characters long; at most 300 are allowed"),
    "campaign name one over the column": (
        replaced('name_zh = "顧客服務卓越獎（測試）"', f'name_zh = "{"獎" * 301}"'),
        "'name_zh' is 301 characters long; at most 300"),
    "slug over the column": (
        replaced('slug = "csea-test"', f'slug = "{"a" * 65}"'),
        "[campaign]: 'slug' is 65 characters long; at most 64"),
    "slug of 10,000 characters": (
        replaced('slug = "csea-test"', f'slug = "{LONG}"'), "'slug' is 10,000 characters"),
    "NUL in a name": (
        replaced('name_en = "Department A"', 'name_en = "Depart\\u0000ment A"'),
        "[[departments]] #1: 'name_en' contains the control character U+0000"),
    "bell in a name": (
        replaced('name_zh = "觀塘"', 'name_zh = "觀\\u0007塘"'),
        "[[districts]] #1: 'name_zh' contains the control character U+0007"),
    "newline in a name": (
        replaced('name_en = "Grand Award"', 'name_en = """Grand\nAward"""'),
        "[[awards]] #1: 'name_en' contains the control character U+000A"),
    "long award name": (
        replaced('name_en = "Grand Award"', f'name_en = "{LONG}"'),
        "[[awards]] #1: 'name_en' is 10,000 characters long; at most 200"),
    "long district name": (
        replaced('name_en = "Kwun Tong"', f'name_en = "{LONG}"'),
        "[[districts]] #1: 'name_en' is 10,000 characters long; at most 200"),
    "long department code": (
        replaced('code = "A"', f'code = "{"A" * 33}"'),
        "[[departments]] #1: 'code' is 33 characters long; at most 32"),
    "control character in a code": (
        replaced('code = "A"', 'code = "A\\u001bB"'),
        "[[departments]] #1: 'code' contains the control character U+001B"),
    "long criterion name": (
        replaced('name_en = "Performance pledges met"', f'name_en = "{LONG}"'),
        "[[criteria]] #1: 'name_en' is 10,000 characters long; at most 200"),
    "NUL in guidance": (
        replaced('code = "pledges"', 'code = "pledges"\nguidance_en = "a\\u0000b"'),
        "[[criteria]] pledges: 'guidance_en' contains the control character U+0000"),
    "guidance that is not text": (
        replaced('code = "pledges"', 'code = "pledges"\nguidance_en = 5'),
        "[[criteria]] pledges: 'guidance_en' must be non-empty text"),
    "long judge name": (
        replaced('name = "Judge One"', f'name = "{LONG}"'),
        "[[judges]] #1: 'name' is 10,000 characters long; at most 200"),
    "long judge username": (
        replaced('username = "j01"', f'username = "j{"0" * 70}"'),
        "[[judges]] #1: 'username' is 71 characters long; at most 64"),
    "households beyond an integer column": (
        replaced("households = 247592", "households = 10000000000000"),
        "'households' must be a positive whole number"),
    "bootstrap beyond an integer column": (
        replaced("finalists = 3", "finalists = 3\nbootstrap = 9000000000000"),
        "'bootstrap' must be a whole number from 0 to 2,147,483,647"),
    "long unknown setting": (
        replaced("finalists = 3", f"finalists = 3\n{LONG} = 1"),
        "[campaign]: unknown setting '" + "x" * 40 + "…'"),
}


@pytest.mark.parametrize("case", sorted(BAD_STRINGS))
def test_strings_beyond_their_columns_are_refused_in_one_short_line(case, runner, tmp_path,
                                                                    app):
    """SPEC 8: a one-line reason, exit non-zero, nothing written; never a traceback (on
    PostgreSQL an over-long value would otherwise fail inside the database)."""
    text, reason = BAD_STRINGS[case]
    before = row_counts()
    result = load(runner, tmp_path, text)
    assert result.exit_code == 1, result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    assert reason in lines[0]
    assert len(lines[0]) < 400, "the reason echoes the whole value"
    assert "Traceback" not in result.stderr + result.stdout
    assert row_counts() == before


def test_values_at_their_column_size_load(runner, tmp_path, app):
    text = (replaced('name_en = "Customer Service Excellence Award (test)"',
                     f'name_en = "{"E" * 300}"')
            .replace('slug = "csea-test"', f'slug = "{"s" * 63}"')
            .replace('name_en = "Department A"', f'name_en = "{"部" * 300}"')
            .replace('code = "B"', f'code = "{"B" * 32}"')
            .replace('code = "pledges"',
                     'code = "pledges"\nguidance_en = """Line one.\n\tLine two."""'))
    result = load(runner, tmp_path, text)
    assert result.exit_code == 0, result.stderr
    campaign = db.session.scalar(select(Campaign))
    assert len(campaign.slug) == 63 and len(campaign.name_en) == 300
    assert {d.code for d in campaign.departments} >= {"A", "B" * 32}
    criterion = db.session.scalar(select(Criterion).where(Criterion.code == "pledges"))
    assert criterion.guidance_en == "Line one.\n\tLine two."


def test_affiliations_as_the_spec_writes_them_derive_conflicts(runner, tmp_path, app):
    """SPEC 8: ``affiliations = [...]`` per judge; each is a conflict of source affiliation,
    beside the organiser's ``conflicts``; the first is the judge's own department."""
    text = MINIMAL_CONFIG.replace('conflicts = ["A"]', 'conflicts = ["A"]\naffiliations = ["B", "C"]')
    result = load(runner, tmp_path, text)
    assert result.exit_code == 0, result.stderr
    rows = db.session.execute(select(Department.code, Conflict.source)
                              .join(Department, Department.id == Conflict.department_id)).all()
    assert sorted(rows) == [("A", "organiser"), ("B", "affiliation"), ("C", "affiliation")]
    assert db.session.scalar(select(User.department_code).where(User.username == "j01")) == "B"

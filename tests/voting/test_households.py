"""Frame import, sample and codes through the services and CLI (SPEC section 3)."""

import io

import pytest
from sqlalchemy import func, select, text

from awards.audit.service import chain_events
from awards.exceptions import InvalidInput, LifecycleError
from awards.extensions import db
from awards.models import Household, SampledHousehold, VotingCode
from awards.voting.codes import code_hmac, format_code
from awards.voting.frame import parse_frame
from awards.voting.households import (
    draw_campaign_sample,
    import_frame,
    issue_codes,
    load_frames,
    purge_addresses,
    reissue_code,
)
from awards.voting.sampling import draw_sample

from .conftest import SEED, frame_csv


def households() -> int:
    return db.session.scalar(select(func.count()).select_from(Household))


def test_frame_import_records_digest_before_seed(campaign, app):
    digest = import_frame(campaign, io.BytesIO(frame_csv()))
    assert households() == 140
    assert {d.code: d.frame_count for d in campaign.districts} == {"IS": 30, "KT": 60, "ST": 50}
    event = chain_events(campaign.slug)[-1]
    assert event.action == "frame_imported" and digest in event.data


def test_frame_import_keeps_awkward_ids_and_addresses_exactly(campaign):
    """The bulk load (COPY text on PostgreSQL) must not mangle backslashes, tabs, line
    breaks inside a quoted address, quotes, Chinese, or an id that looks like NULL."""
    addresses = {
        "\\N": "Flat 3\\4, 5/F\tBlock \"A\"",
        "KT-2": "Rm 1\r\nTower 2\n沙田第一城",
        "KT\\3": None,
        "KT-4": "\\N",
    }
    lines = ["household_id,district,address"]
    for household_id, address in addresses.items():
        quoted = '"' + (address or "").replace('"', '""') + '"'
        lines.append(f"{household_id},KT,{quoted}")
    import_frame(campaign, io.BytesIO("\n".join(lines).encode() + b"\n"))
    stored = dict(db.session.execute(select(Household.household_id, Household.address)).all())
    assert stored == addresses


BAD_FRAMES = {
    "duplicate id": (b"household_id,district,address\nX1,KT,\nX1,ST,\n", 3),
    "unknown district": (b"household_id,district,address\nX1,KT,\nX2,ZZ,\n", 3),
    "empty id": (b"household_id,district,address\nX1,KT,\n,ST,\n", 3),
    "bad encoding": (b"household_id,district,address\nX1,KT,\nX2,ST,\xff\xfe\n", 3),
    "bad header": (b"id,district\nX1,KT\n", 1),
}


@pytest.mark.parametrize("case", sorted(BAD_FRAMES))
def test_bad_frame_refused_with_line_numbers_and_nothing_written(case, campaign, runner,
                                                                 tmp_path):
    content, line = BAD_FRAMES[case]
    path = tmp_path / "frame.csv"
    path.write_bytes(content)
    result = runner.invoke(args=["awards", "frame", "import", "csea-test", str(path)])
    assert result.exit_code == 1
    assert f"line {line}:" in result.stderr
    assert households() == 0
    assert campaign.frame_digest is None


def test_frame_import_cli_prints_digest(campaign, runner, tmp_path):
    path = tmp_path / "frame.csv"
    path.write_bytes(frame_csv())
    result = runner.invoke(args=["awards", "frame", "import", "csea-test", str(path)])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("frame digest ") and len(result.stdout.split()[-1]) == 64


def test_seed_needs_recorded_frame_digest(campaign):
    with pytest.raises(LifecycleError, match="digest must be in the audit log"):
        draw_campaign_sample(campaign, 10, SEED)


def test_sample_matches_the_pure_sampler_and_is_reproducible(sampled_campaign):
    sampled = set(db.session.scalars(select(Household.household_id).join(
        SampledHousehold, SampledHousehold.household_pk == Household.id)))
    frames = {code: sorted(ids) for code, ids in load_frames(sampled_campaign).items()}
    expected = draw_sample(SEED, frames, 90)
    assert sampled == {hid for ids in expected.values() for hid in ids}
    assert {d.code: d.sample_size for d in sampled_campaign.districts} == {
        "IS": 19, "KT": 39, "ST": 32}
    actions = [e.action for e in chain_events(sampled_campaign.slug)]
    assert actions.index("frame_imported") < actions.index("seed_recorded") < \
        actions.index("sample_drawn")


def test_sample_too_large_is_refused(campaign):
    import_frame(campaign, io.BytesIO(frame_csv()))
    with pytest.raises(InvalidInput, match="exceed"):
        draw_campaign_sample(campaign, 1000, SEED)
    assert campaign.seed is None


def test_short_seed_is_refused(campaign):
    import_frame(campaign, io.BytesIO(frame_csv()))
    with pytest.raises(InvalidInput, match="20"):
        draw_campaign_sample(campaign, 10, "too-short")


def test_frame_cannot_be_replaced_after_the_sample(sampled_campaign):
    from awards.exceptions import FrozenError

    with pytest.raises(FrozenError, match="sample has been drawn"):
        import_frame(sampled_campaign, io.BytesIO(frame_csv({"KT": 5, "ST": 5, "IS": 5})))
    assert households() == 140


def test_codes_stored_only_as_hmac_no_plaintext_in_any_table(letters, app):
    assert len(letters) == 90
    plain = {l.code for l in letters} | {format_code(l.code) for l in letters}
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(text(f"SELECT * FROM {table.name}")):
            for value in row:
                assert str(value) not in plain, table.name
                assert not any(code in str(value) for code in plain), table.name
    pepper = app.config["CODE_PEPPER"].encode()
    stored = set(db.session.scalars(select(VotingCode.code_hmac)))
    assert stored == {code_hmac(pepper, l.code) for l in letters}


def test_codes_issued_event_has_counts_and_commitment(letters, sampled_campaign):
    event = chain_events(sampled_campaign.slug)[-1]
    assert event.action == "codes_issued"
    assert '"count":90' in event.data and sampled_campaign.codes_commitment in event.data


def test_failed_delivery_issues_no_code(sampled_campaign):
    def broken(_letters):
        raise OSError("disk full")

    with pytest.raises(OSError):
        issue_codes(sampled_campaign, broken)
    assert db.session.scalar(select(func.count()).select_from(VotingCode)) == 0
    assert sampled_campaign.codes_commitment is None


def test_codes_issue_cli_writes_letters_and_refuses_overwrite(sampled_campaign, runner,
                                                              tmp_path):
    out = tmp_path / "letters.csv"
    result = runner.invoke(args=["awards", "codes", "issue", "csea-test", "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    lines = out.read_text().splitlines()
    assert lines[0] == "household_id,district,code,address" and len(lines) == 91
    again = runner.invoke(args=["awards", "codes", "issue", "csea-test", "--out", str(out)])
    assert again.exit_code == 1 and "exists" in again.stderr


def test_reissue_voids_old_code_atomically(letters, sampled_campaign, app):
    old = letters[0]
    delivered = []
    new = reissue_code(sampled_campaign, old.household_id, delivered.extend)
    assert delivered == [new] and new.code != old.code
    pepper = app.config["CODE_PEPPER"].encode()
    states = dict(db.session.execute(select(VotingCode.code_hmac, VotingCode.state)).all())
    assert states[code_hmac(pepper, old.code)] == "void"
    assert states[code_hmac(pepper, new.code)] == "issued"
    assert chain_events(sampled_campaign.slug)[-1].action == "code_reissued"


def test_purge_addresses_keeps_ids_and_digest(letters, sampled_campaign):
    digest = sampled_campaign.frame_digest
    assert purge_addresses(sampled_campaign) == 140
    assert db.session.scalar(select(func.count()).select_from(Household).where(
        Household.address.is_not(None))) == 0
    assert households() == 140 and sampled_campaign.frame_digest == digest


def test_frame_parse_is_the_validation_used(campaign):
    rows = parse_frame(io.BytesIO(frame_csv()), {"KT", "ST", "IS"})
    assert len(rows) == 140


def test_codes_issue_refuses_unwritable_paths_before_issuing(sampled_campaign, runner,
                                                              tmp_path):
    for args in (["--out", str(tmp_path / "missing" / "l.csv")],
                 ["--out", str(tmp_path / "l.csv"), "--pdf", str(tmp_path / "no" / "l.pdf")]):
        result = runner.invoke(args=["awards", "codes", "issue", "csea-test", *args])
        assert result.exit_code == 1
        assert result.stderr.startswith("error: cannot write") and "Traceback" not in result.stderr
        assert db.session.scalar(select(func.count()).select_from(VotingCode)) == 0


def test_letters_pdf_can_be_printed_again_from_the_csv(sampled_campaign, runner, tmp_path):
    out = tmp_path / "letters.csv"
    assert runner.invoke(args=["awards", "codes", "issue", "csea-test", "--out",
                               str(out)]).exit_code == 0
    pdf = tmp_path / "again.pdf"
    result = runner.invoke(args=["awards", "codes", "letters", "csea-test", "--from", str(out),
                                 "--pdf", str(pdf)])
    assert result.exit_code == 0, result.stderr
    assert pdf.read_bytes().startswith(b"%PDF")


def test_read_letters_csv_undoes_formula_escaping(tmp_path):
    from awards.voting.letter_files import read_letters_csv
    from awards.voting.letters import write_letters_csv

    path = tmp_path / "l.csv"
    code = generate_code_for_test()
    with path.open("w", newline="", encoding="utf-8") as stream:
        write_letters_csv([("H1", "KT", code, "+852 Flat 1"), ("H2", "KT", code, ";=1+1"),
                           ("H3", "KT", code, "'quoted'")], stream)
    letters = list(read_letters_csv(path))
    assert [letter.address for letter in letters] == ["+852 Flat 1", ";=1+1", "'quoted'"]
    assert letters[0].code == code


def generate_code_for_test() -> str:
    from awards.voting.codes import generate_code

    return generate_code()


def test_two_simultaneous_issues_issue_one_set_of_codes(sampled_campaign, app):
    """A double click on "issue codes": the second request must find the codes issued."""
    import threading

    from awards.models import Campaign

    outcomes: list[str] = []
    start = threading.Barrier(2)
    campaign_id = sampled_campaign.id
    db.session.rollback()

    def issue() -> None:
        with app.app_context():
            try:
                start.wait()
                campaign = db.session.get(Campaign, campaign_id)
                issue_codes(campaign, lambda _letters: None)
                outcomes.append("issued")
            except LifecycleError as exc:
                outcomes.append(str(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=issue) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes)[0].startswith("codes have already been issued")
    assert outcomes.count("issued") == 1
    assert db.session.scalar(select(func.count()).select_from(VotingCode)) == 90


def test_finalists_need_results_computed_on_the_current_data(open_campaign):
    from awards.models import ResultVersion
    from awards.phases import close_voting, move_phase

    close_voting(open_campaign)
    db.session.add(ResultVersion(campaign_id=open_campaign.id, version=1, computed_by="olivia",
                                 inputs_digest="f" * 64, results_json="{}"))
    db.session.commit()
    with pytest.raises(LifecycleError, match="computed from other data"):
        move_phase(open_campaign, "finalists_announced")
    assert open_campaign.state == "adjudication"


@pytest.mark.parametrize("command", [["frame", "import"], ["ballots", "import"]])
def test_cli_imports_name_an_unreadable_file(command, campaign, runner, tmp_path):
    missing = tmp_path / "missing.csv"
    result = runner.invoke(args=["awards", *command, "csea-test", str(missing)])
    assert result.exit_code == 1
    assert f"cannot read {missing}" in result.stderr
    assert households() == 0

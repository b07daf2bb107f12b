"""Secrecy against whoever holds a copy of the database (SPEC section 4).

These tests vote through the real web flow, then read the database the way someone with a
copy of it would: system columns (``xmin``, ``ctid``) on PostgreSQL, the file's pages on
SQLite, the code table's columns, deleted rows.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import IntegrityError

from awards.campaigns.config_file import parse_config
from awards.campaigns.services import load_campaign_config
from awards.extensions import db
from awards.models import Ballot, InboxBallot, SampledHousehold, VotingCode
from awards.phases import close_voting, move_phase, open_voting
from awards.voting import mixer
from awards.voting.codes import ballot_id, code_hmac
from awards.voting.households import draw_campaign_sample, import_frame, issue_codes
from awards.voting.pointers import PointerError, open_pointer, pointer_cipher

from ..conftest import MINIMAL_CONFIG
from .conftest import SEED, frame_csv
from .test_abuse_and_pages import browser, vote

VOTES = 60
# The bar: |Spearman's rho| between storage order and casting order below 0.3 after 60 web
# votes. A uniformly random order of 60 items has rho with sd 1/sqrt(59) = 0.13 against any
# fixed order, so |rho| >= 0.3 happens by chance in about 2% of trials; up to three
# independent trials make a false alarm a 1-in-100,000 event, while a casting-order leak
# gives 1.0 (0.8 under load) in every trial.
RHO_LIMIT = 0.3
TRIALS = 3


def spearman(order: list[str], reference: list[str]) -> float:
    """Spearman's rank correlation between two orderings of the same items."""
    rank = {item: i for i, item in enumerate(reference)}
    ranks = np.array([rank[item] for item in order], dtype=float)
    return float(np.corrcoef(ranks, np.arange(len(ranks)))[0, 1])


def is_postgresql() -> bool:
    return db.engine.dialect.name == "postgresql"


@pytest.fixture
def big_campaign(app):
    """200 households, all sampled and issued; voting open."""
    config = MINIMAL_CONFIG.replace("finalists = 3", "finalists = 3\nentries_required = false")
    campaign, _created, _notes = load_campaign_config(parse_config(config))
    import_frame(campaign, io.BytesIO(frame_csv({"KT": 90, "ST": 75, "IS": 35})))
    for state in ("entries_open", "entries_closed", "adjudication"):
        move_phase(campaign, state)
    draw_campaign_sample(campaign, TRIALS * VOTES + 20, SEED)
    letters: list = []
    issue_codes(campaign, letters.extend)
    open_voting(campaign)
    return campaign, letters


def cast_through_the_web(app, letters) -> list[str]:
    """Receipts in casting order, each vote through code entry, ballot, review, confirm."""
    client = browser(app, "192.0.2.77")
    receipts = []
    for n, letter in enumerate(letters):
        done, page = vote(client, letter.code, ("A", "B", "C", "D")[n % 4:n % 4 + 1])
        assert done.status_code == 303
        receipts.append(page.split('receipt-number">')[1].split("<")[0].replace("-", ""))
    return receipts


# ----------------------------------------------------------------------------- SQLite pages


def _page(data: bytes, page_size: int, number: int) -> tuple[int, int]:
    """(start of the page, start of its b-tree header) in the file."""
    base = (number - 1) * page_size
    return base, base + (100 if number == 1 else 0)


def _btree_pages(data: bytes, page_size: int, root: int) -> list[int]:
    """Every page of the b-tree rooted at ``root`` (SQLite file format, section 1.6)."""
    pages, stack = [], [root]
    while stack:
        number = stack.pop()
        pages.append(number)
        base, header = _page(data, page_size, number)
        if data[header] in (2, 5):  # interior index / table page
            cells = int.from_bytes(data[header + 3:header + 5], "big")
            stack.append(int.from_bytes(data[header + 8:header + 12], "big"))
            for i in range(cells):
                pointer = int.from_bytes(data[header + 12 + 2 * i:header + 14 + 2 * i], "big")
                stack.append(int.from_bytes(data[base + pointer:base + pointer + 4], "big"))
    return pages


def _sqlite_file(app) -> tuple[bytes, int, dict[str, int]]:
    path = Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
    wal = path.with_name(path.name + "-wal")
    # The mixer checkpoints the write-ahead log; it holds nothing a copy could read.
    assert not wal.exists() or wal.stat().st_size == 0
    data = path.read_bytes()
    page_size = int.from_bytes(data[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    roots = dict(db.session.execute(text("SELECT name, rootpage FROM sqlite_master "
                                         "WHERE rootpage > 0")).all())
    return data, page_size, roots


def sqlite_storage_order(app, receipts: list[str]) -> list[str]:
    """Ballot ids in the order their cells were written into the ballot table's leaf pages:
    SQLite allocates a page's cell content from the end of the page towards its start, so
    within a page, a lower offset means a later insert."""
    data, page_size, roots = _sqlite_file(app)
    wanted = {r.encode() for r in receipts}
    cells = []
    for number in _btree_pages(data, page_size, roots["ballots"]):
        base, header = _page(data, page_size, number)
        if data[header] != 10:  # leaf page of an index b-tree (a WITHOUT ROWID table)
            continue
        count = int.from_bytes(data[header + 3:header + 5], "big")
        for i in range(count):
            pointer = int.from_bytes(data[header + 8 + 2 * i:header + 10 + 2 * i], "big")
            cell = data[base + pointer:base + pointer + 64]
            found = [r for r in wanted if r in cell]
            if found:
                cells.append((number, -pointer, found[0].decode()))
    return [receipt for _n, _p, receipt in sorted(cells)]


def sqlite_pages_holding(app, needle: bytes) -> set[str]:
    """Names of the b-trees whose pages hold ``needle``; "unowned" for freelist pages."""
    data, page_size, roots = _sqlite_file(app)
    owner = {page: name for name, root in roots.items()
             for page in _btree_pages(data, page_size, root)}
    found, start = set(), data.find(needle)
    while start != -1:
        found.add(owner.get(start // page_size + 1, "unowned"))
        start = data.find(needle, start + 1)
    return found


# ------------------------------------------------------------------------- PostgreSQL pages


def postgresql_raw_pages(relation: str) -> bytes:
    db.session.execute(text("CREATE EXTENSION IF NOT EXISTS pageinspect"))
    blocks = db.session.scalar(text(f"SELECT pg_relation_size('{relation}') / 8192"))
    return b"".join(db.session.scalar(text(f"SELECT get_raw_page('{relation}', {n})"))
                    for n in range(blocks))


# --------------------------------------------------------------------------------- the tests


def _storage_order(app, receipts: list[str]) -> list[str]:
    if is_postgresql():
        wanted = set(receipts)
        return [i for i in db.session.scalars(text("SELECT id FROM ballots ORDER BY ctid"))
                if i in wanted]
    return sqlite_storage_order(app, receipts)


def test_a_copy_of_the_database_links_no_web_ballot_to_its_code(app, big_campaign):
    campaign, letters = big_campaign
    receipts = cast_through_the_web(app, letters[:VOTES])
    close_voting(campaign)
    db.session.commit()

    assert db.session.scalar(select(func.count()).select_from(InboxBallot)) == 0
    assert db.session.scalar(select(func.count()).select_from(Ballot)) == VOTES
    if is_postgresql():
        ballot_xmins = set(db.session.scalars(text("SELECT xmin::text FROM ballots")))
        code_xmins = set(db.session.scalars(text(
            "SELECT xmin::text FROM voting_codes WHERE state = 'used'")))
        assert len(code_xmins) == VOTES and ballot_xmins.isdisjoint(code_xmins)
        inbox_bytes = postgresql_raw_pages("ballot_inbox") + postgresql_raw_pages(
            "pk_ballot_inbox")
        assert not [r for r in receipts if r.encode() in inbox_bytes]
    else:
        for receipt in receipts[:10]:  # the deleted inbox rows left no copy in the file
            assert sqlite_pages_holding(app, receipt.encode()) <= {
                "ballots", "ix_ballots_campaign_district"}

    rhos = [spearman(_storage_order(app, receipts), receipts)]
    for trial in range(1, TRIALS):  # see RHO_LIMIT: independent trials only after a miss
        if abs(rhos[-1]) < RHO_LIMIT:
            break
        open_voting(campaign)
        again = cast_through_the_web(app, letters[trial * VOTES:(trial + 1) * VOTES])
        close_voting(campaign)
        db.session.commit()
        rhos.append(spearman(_storage_order(app, again), again))
    assert abs(rhos[-1]) < RHO_LIMIT, rhos


def test_the_code_table_names_no_household(app, big_campaign):
    db.session.commit()
    columns = inspect(db.engine).get_columns("voting_codes")
    assert not [c["name"] for c in columns if "household" in c["name"]]
    assert {fk["referred_table"] for fk in inspect(db.engine).get_foreign_keys(
        "voting_codes")} == {"campaigns", "districts"}


def test_code_rows_carry_no_household_order(app):
    """Codes are inserted shuffled: neither ids nor storage order follow the households."""
    config = MINIMAL_CONFIG.replace("finalists = 3", "finalists = 3\nentries_required = false")
    campaign, _created, _notes = load_campaign_config(parse_config(config))
    import_frame(campaign, io.BytesIO(frame_csv({"KT": 500, "ST": 400, "IS": 300})))
    for state in ("entries_open", "entries_closed", "adjudication"):
        move_phase(campaign, state)
    draw_campaign_sample(campaign, 1000, SEED)
    letters: list = []
    issue_codes(campaign, letters.extend)  # letters come in household (mailing) order
    pepper = app.config["CODE_PEPPER"].encode()
    household_order = [code_hmac(pepper, letter.code) for letter in letters]
    id_order = list(db.session.scalars(select(VotingCode.code_hmac).order_by(VotingCode.id)))
    assert abs(spearman(id_order, household_order)) < 0.15  # sd 0.03 for 1,000
    if is_postgresql():
        stored = list(db.session.scalars(text("SELECT code_hmac FROM voting_codes "
                                              "ORDER BY ctid")))
        assert abs(spearman(stored, household_order)) < 0.15


def test_the_pointer_needs_the_key_and_its_own_household(app, big_campaign):
    campaign, _letters = big_campaign
    rows = db.session.scalars(select(SampledHousehold).limit(2)).all()
    right = pointer_cipher(app.config["POINTER_KEY"])
    code_id = open_pointer(right, campaign.id, rows[0].household_pk, rows[0].code_pointer)
    assert db.session.get(VotingCode, code_id).state == "issued"
    with pytest.raises(PointerError, match="AWARDS_POINTER_KEY differs"):
        open_pointer(pointer_cipher("another key"), campaign.id, rows[0].household_pk,
                     rows[0].code_pointer)
    with pytest.raises(PointerError):  # copied onto another household's row
        open_pointer(right, campaign.id, rows[1].household_pk, rows[0].code_pointer)


def test_reissue_with_another_pointer_key_writes_nothing(app, big_campaign):
    from awards.voting.households import reissue_code

    campaign, letters = big_campaign
    app.config["POINTER_KEY"] = "not the key the codes were issued with"
    with pytest.raises(PointerError):
        reissue_code(campaign, letters[0].household_id, lambda _letters: None)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(VotingCode)
                             .where(VotingCode.state == "void")) == 0


def test_receipt_says_recorded_then_in_the_tally(app, big_campaign):
    campaign, letters = big_campaign
    client = browser(app, "192.0.2.78")
    _done, page = vote(client, letters[0].code)
    number = page.split('receipt-number">')[1].split("<")[0]
    client.get("/receipt")
    waiting = client.post("/receipt", {"ballot": number}).get_data(as_text=True)
    assert "is recorded. It is not in the tally yet" in waiting
    zh = client.post("/receipt?lang=zh_Hant_HK", {"ballot": number},
                     headers={"Accept-Language": "zh-HK"}).get_data(as_text=True)
    assert "尚未計入點票" in zh
    close_voting(campaign)
    tallied = client.post("/receipt", {"ballot": number}).get_data(as_text=True)
    assert "is recorded and is in the tally" in tallied
    zh = client.post("/receipt", {"ballot": number},
                     headers={"Accept-Language": "zh-HK"}).get_data(as_text=True)
    assert "已計入點票" in zh and "尚未" not in zh


def test_the_pool_keeps_fifty_and_moves_batches_of_at_least_fifty(app, big_campaign):
    from awards.voting.ballots import cast_web_ballot

    campaign, letters = big_campaign
    for letter in letters[:2 * mixer.POOL - 1]:
        cast_web_ballot(campaign, letter.code, ["A"])
    assert mixer.pending(campaign.id) == 2 * mixer.POOL - 1
    assert db.session.scalar(select(func.count()).select_from(Ballot)) == 0
    cast_web_ballot(campaign, letters[2 * mixer.POOL - 1].code, ["A"])
    assert mixer.pending(campaign.id) == mixer.POOL
    assert db.session.scalar(select(func.count()).select_from(Ballot)) == mixer.POOL
    # Counts while voting is open leave the pool alone; closing moves the rest.
    from awards.voting.ballots import turnout

    assert turnout(campaign)["total"] == "100–249"
    assert mixer.pending(campaign.id) == mixer.POOL
    close_voting(campaign)
    assert mixer.pending(campaign.id) == 0
    assert db.session.scalar(select(func.count()).select_from(Ballot)) == 2 * mixer.POOL


def test_results_and_the_bundle_mix_the_inbox_first(app, big_campaign):
    """Voting that closes by the clock leaves ballots in the inbox: the first count mixes."""
    from datetime import timedelta

    from awards.models.base import utcnow
    from awards.publication.bundle import ballot_rows
    from awards.voting.ballots import cast_web_ballot

    campaign, letters = big_campaign
    for letter in letters[:5]:
        cast_web_ballot(campaign, letter.code, ["B"])
    campaign.voting_closes_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert mixer.pending(campaign.id) == 5
    assert len(ballot_rows(campaign)) == 5 and mixer.pending(campaign.id) == 0


def test_two_mixers_at_once_never_move_a_ballot_twice(app, big_campaign):
    import threading

    campaign, _letters = big_campaign
    district = campaign.districts[0].id
    day = utcnow_date()
    cast = [ballot_id() for _ in range(400)]
    db.session.add_all(InboxBallot(id=i, campaign_id=campaign.id, district_id=district,
                                   choices="A", channel="web", status="valid", day=day)
                       for i in cast)
    campaign_id, errors = campaign.id, []
    db.session.commit()  # and no read after it: on SQLite a read would hold the write lock
    start = threading.Barrier(6)

    def run(kind: str) -> None:
        with app.app_context():
            try:
                start.wait()
                (mixer.mix_everything if kind == "all" else mixer.mix_after_vote)(campaign_id)
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(kind,)) for kind in ["all", "due"] * 3]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    db.session.expire_all()
    assert sorted(db.session.scalars(select(Ballot.id))) == sorted(cast)
    assert mixer.pending(campaign_id) == 0


def utcnow_date():
    from awards.models.base import utctoday

    return utctoday()


def test_no_statement_parameter_reaches_a_log_or_an_error(app, big_campaign, caplog):
    _campaign, letters = big_campaign
    digest = code_hmac(app.config["CODE_PEPPER"].encode(), letters[0].code)
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")
    existing = db.session.scalar(select(VotingCode).where(VotingCode.code_hmac == digest))
    with pytest.raises(IntegrityError) as raised:
        db.session.add(VotingCode(campaign_id=existing.campaign_id,
                                  district_id=existing.district_id, code_hmac=digest,
                                  state="issued", day=existing.day))
        db.session.flush()
    db.session.rollback()
    assert "voting_codes" in caplog.text or "voting_codes" in str(raised.value)
    assert digest not in str(raised.value) and digest not in caplog.text
    assert "hidden due to hide_parameters" in str(raised.value)


def test_purging_addresses_deletes_every_letter_file(app, big_campaign):
    from awards.storage import exports_dir
    from awards.voting.households import purge_addresses

    campaign, _letters = big_campaign
    folder = exports_dir(campaign.slug)
    names = ["letters-20261201T1000.csv", "letters-20261201T1000.pdf",
             "letters-20261201T1001.pdf.part", "letter-reissue-KT0001-20261202T0900.csv",
             "letter-reissue-KT0001-20261202T0900.pdf"]
    for name in names:
        (folder / name).write_text("0123-4567-89AB-CT")
    (folder / "bundle-v1-x.zip").write_bytes(b"kept")
    purge_addresses(campaign)
    assert sorted(p.name for p in folder.iterdir()) == ["bundle-v1-x.zip"]


# --------------------------------------------------------------------------- the mixer's
# transaction boundary: it commits only what it began, or a transaction that only read.


def test_the_mixer_refuses_a_transaction_holding_flushed_work(app, big_campaign):
    """A caller's flushed (not committed) write is neither committed nor rolled back by the
    mixer: it refuses to run, and the caller decides."""
    from sqlalchemy import update

    from awards.extensions import transaction_has_writes
    from awards.models import Campaign

    campaign, _letters = big_campaign
    campaign_id = campaign.id
    db.session.commit()
    assert not transaction_has_writes(db.session)
    db.session.scalar(select(func.count()).select_from(Ballot))  # a read holds no writes
    assert not transaction_has_writes(db.session)
    campaign.name_en = "Renamed, flushed, not committed"
    db.session.flush()
    assert not db.session.dirty and transaction_has_writes(db.session)
    for mix in (mixer.mix_after_vote, mixer.mix_everything):
        with pytest.raises(RuntimeError, match="transaction of its own"):
            mix(campaign_id)
        assert db.session.scalar(select(Campaign.name_en)) == "Renamed, flushed, not committed"
    db.session.rollback()
    assert db.session.scalar(select(Campaign.name_en)) != "Renamed, flushed, not committed"
    # A statement run on the session's connection counts as a write too.
    db.session.connection().execute(update(Campaign).values(name_en="Core update"))
    assert transaction_has_writes(db.session)
    with pytest.raises(RuntimeError):
        mixer.mix_after_vote(campaign_id)
    db.session.rollback()
    assert not transaction_has_writes(db.session)
    assert db.session.scalar(select(Campaign.name_en)) != "Core update"


def test_the_mixer_commits_a_transaction_that_only_read(app, big_campaign):
    campaign, _letters = big_campaign
    campaign_id = campaign.id
    db.session.commit()
    db.session.scalar(select(func.count()).select_from(Ballot))
    assert db.session().in_transaction()
    assert mixer.mix_after_vote(campaign_id) == 0
    assert not db.session().in_transaction()  # the count's read is over (SQLite's lock freed)


def test_a_count_after_the_close_with_an_empty_inbox_leaves_the_callers_work(app,
                                                                             big_campaign):
    """Publishing a correction computes and checks its results in one transaction: the
    count's mixer has nothing to move and must not commit the new version half-made."""
    from datetime import timedelta

    from awards.models import Campaign
    from awards.models.base import utcnow

    campaign, _letters = big_campaign
    campaign.voting_closes_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    campaign.name_en = "Work in progress"
    db.session.flush()
    assert mixer.mix_before_count(campaign) == 0
    db.session.rollback()
    assert db.session.scalar(select(Campaign.name_en)) != "Work in progress"


def test_a_paper_import_commits_before_the_mixer_runs(app, big_campaign):
    """The paper import's burnt codes, ballots and audit event are committed by the import
    itself; the mixer then moves a batch in its own transaction."""
    from awards.audit.service import chain_events
    from awards.voting.ballots import import_paper_ballots

    campaign, letters = big_campaign
    rows = "".join(f"{letter.code},A\n" for letter in letters[:2 * mixer.POOL])
    summary = import_paper_ballots(campaign, io.BytesIO(f"code,choices\n{rows}".encode()))
    assert summary.valid == 2 * mixer.POOL
    assert not db.session().in_transaction()
    assert mixer.pending(campaign.id) == mixer.POOL
    db.session.rollback()  # nothing of the import is left to lose
    assert db.session.scalar(select(func.count()).select_from(Ballot)) == mixer.POOL
    assert mixer.pending(campaign.id) == mixer.POOL
    assert any(e.action == "paper_ballots_imported" for e in chain_events(campaign.slug))

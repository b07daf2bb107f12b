"""Audit fixtures.

Two kinds of bundle:

* :class:`WorkedBundle` — the SPEC section 6 worked example written straight into bundle
  files (no database): results by the scoring engine, signed with a fresh Ed25519 key.
  Fast, so the mutation suite can rebuild it hundreds of times; ``reseal`` re-signs changed
  files with the real key (an insider who holds the key), so that the verifier's semantic
  checks, not only the hashes, must catch the change.
* ``published_campaign`` — the same worked example run through the application: config,
  frame, sample, codes, web and paper ballots (plus spoilt returns and a reissued code),
  scorecards, results, publication. Its bundle comes from :mod:`awards.publication.bundle`.
"""

from __future__ import annotations

import copy
import hashlib
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from awards.audit.chain import GENESIS, event_hash
from awards.publication.bundle import (
    LISTED_FILES,
    assemble,
    audit_log_bytes,
    csv_bytes,
    json_bytes,
)
from awards.publication.signing import raw_public_key
from awards.scoring import compute_results
from awards.voting.codes import ALPHABET
from awards.voting.sampling import allocate

from ..conftest import Snapshot, prepare_snapshot, register_snapshot, restored
from ..scoring.worked_example import (
    DEPARTMENTS,
    DISTRICTS,
    FINAL_SCORES,
    PATTERN_COUNTS,
    PRELIMINARY_SCORES,
    SEED,
    campaign_config_toml,
)

SLUG = "worked-example"
FRAME_DIGEST = hashlib.sha256(b"worked example frame").hexdigest()
SAMPLE_SIZE = 2000
PUBLISHED_AT = datetime(2002, 3, 15, 8, 0, tzinfo=UTC)
PSEUDONYM = {"J1": "J01", "J2": "J02", "J3": "J03"}


def crockford_id(number: int) -> str:
    digest = int(hashlib.sha256(f"ballot {number}".encode()).hexdigest(), 16)
    return "".join(ALPHABET[(digest >> (5 * i)) & 31] for i in range(16))


def worked_ballots() -> list[tuple[str, str, str, str, str]]:
    """1000 valid ballots of the worked example; every seventh on paper."""
    rows = []
    number = 0
    for pattern, counts in PATTERN_COUNTS.items():
        for district, count in zip([d.code for d in DISTRICTS], counts):
            for _ in range(count):
                number += 1
                channel = "paper" if number % 7 == 0 else "web"
                rows.append((crockford_id(number), district, ";".join(sorted(pattern)),
                             channel, "valid"))
    return sorted(rows)


def worked_scores() -> list[tuple[str, str, str, str, int]]:
    rows = [("preliminary", PSEUDONYM[j], d, "overall", y)
            for j, by_dept in PRELIMINARY_SCORES.items() for d, y in by_dept.items()]
    rows += [("final", f"J0{i}", d, "overall", y)
             for d, ys in FINAL_SCORES.items() for i, y in enumerate(ys, start=1)]
    return sorted(rows)


def event_chain(bodies: list[tuple[str, str, dict]]) -> list[dict]:
    events, prev = [], GENESIS
    for seq, (actor, action, data) in enumerate(bodies, start=1):
        event = {"seq": seq, "at": f"2002-03-{seq:02d}T08:00:00.000000Z", "actor": actor,
                 "action": action, "subject": SLUG, "data": data, "prev": prev}
        event["hash"] = event_hash(event)
        prev = event["hash"]
        events.append(event)
    return events


@dataclass
class WorkedBundle:
    """The worked example as bundle files, with the key that signs them."""

    key: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)
    files: dict[str, bytes] = field(default_factory=dict)
    events: list[dict] = field(default_factory=list)
    results: dict = field(default_factory=dict)

    @property
    def public_key(self) -> str:
        return raw_public_key(self.key).hex()

    def meta(self, key_hex: str | None = None) -> dict:
        last = self.events[-1]
        return {"app_version": "test", "campaign": SLUG, "result_version": 1,
                "published_at": "2002-03-15T08:00:00Z",
                "inputs_digest": self.results["inputs_digest"],
                "public_key": key_hex or self.public_key,
                "audit_head": {"seq": last["seq"], "hash": last["hash"]}}

    def zip(self, files: dict[str, bytes] | None = None, *, key=None,
            meta: dict | None = None) -> bytes:
        key = key or self.key
        data, _manifest = assemble(files or self.files,
                                   meta or self.meta(raw_public_key(key).hex()),
                                   lambda m: key.sign(m).hex(), PUBLISHED_AT)
        return data

    def reseal(self, name: str, change: Callable[[bytes], bytes]) -> bytes:
        """The bundle with one file changed, manifest updated and re-signed."""
        files = dict(self.files)
        files[name] = change(files[name])
        meta = self.meta()
        if name == "audit_log.jsonl":
            lines = files[name].decode().splitlines()
            try:
                last = json.loads(lines[-1])
            except (IndexError, json.JSONDecodeError):
                pass  # a cut line: keep the manifest's head
            else:
                meta["audit_head"] = {"seq": last.get("seq"), "hash": last.get("hash")}
        return self.zip(files, meta=meta)


@dataclass
class SyntheticCampaign:
    """Everything a bundle holds, as plain data (no database)."""

    seed: str
    districts: list[tuple[str, int]]                   # (code, N_h)
    departments: list[tuple[str, bool]]                # (code, eligible)
    criteria: list[tuple[str, str, float, int]]        # (round, code, weight, max)
    ballots: list[tuple[str, str, str, str, str]]      # ballots.csv rows
    scores: list[tuple[str, str, str, str, int]]       # scores.csv rows
    method: str = "additive"
    public_weight: float = 0.3
    finalists: int = 3
    final_public_weight: float = 0.0
    bootstrap: int = 2000
    max_choices: int = 3
    awards: tuple = ()
    judges: list[str] = field(default_factory=list)
    sample_size: int = SAMPLE_SIZE


def make_bundle(spec: SyntheticCampaign) -> WorkedBundle:
    """Files of a bundle whose results come from the scoring engine (the app's path)."""
    from awards.results.digest import config_for_digest, inputs_digest
    from awards.scoring import (
        DEFAULT_AWARDS,
        District,
        PublicInputs,
        ScoringConfig,
        judge_scores_from_scorecards,
    )

    bundle = WorkedBundle()
    awards = spec.awards or DEFAULT_AWARDS
    config = ScoringConfig(seed=spec.seed, method=spec.method,
                           public_weight=spec.public_weight, finalists=spec.finalists,
                           final_public_weight=spec.final_public_weight,
                           bootstrap=spec.bootstrap, awards=awards)
    eligible = sorted(code for code, ok in spec.departments if ok)
    patterns: dict[str, dict[tuple[str, ...], int]] = {}
    spoilt: dict[str, int] = {}
    counts: dict[tuple[str, str, str], int] = {}
    for _id, district, choices, _channel, status in spec.ballots:
        counts[(district, choices, status)] = counts.get((district, choices, status), 0) + 1
        if status == "valid":
            key = tuple(choices.split(";"))
            patterns.setdefault(district, {})
            patterns[district][key] = patterns[district].get(key, 0) + 1
        else:
            spoilt[district] = spoilt.get(district, 0) + 1
    public = PublicInputs([District(c, n) for c, n in spec.districts], eligible, patterns,
                          spoilt)
    criteria = {(r, c): (w, m) for r, c, w, m in spec.criteria}
    results = compute_results(public, judge_scores_from_scorecards(spec.scores, criteria),
                              config)
    digest = inputs_digest(
        config_for_digest(config.seed, config.method, config.public_weight, config.finalists,
                          config.final_public_weight, config.bootstrap, config.awards),
        eligible, spec.districts, [(*k, n) for k, n in counts.items()], spec.scores)
    bundle.results = json.loads(json.dumps({"campaign": SLUG, **results,
                                            "inputs_digest": digest}))
    frame_counts = dict(spec.districts)
    allocation = allocate(spec.sample_size, frame_counts)
    bundle.events = event_chain([
        ("olivia", "campaign_created", {"name_en": "Worked example"}),
        ("olivia", "frame_imported", {"frame_digest": FRAME_DIGEST}),
        ("olivia", "seed_recorded", {"seed": spec.seed, "frame_digest": FRAME_DIGEST}),
        ("olivia", "sample_drawn", {"seed": spec.seed, "frame_digest": FRAME_DIGEST,
                                    "size": spec.sample_size, "allocation": allocation}),
        ("olivia", "results_computed", {"version": 1, "inputs_digest": digest}),
        ("olivia", "published", {"version": 1, "inputs_digest": digest,
                                 "public_key": bundle.public_key}),
        ("system", "change_refused", {"change": "scores", "reason": "published; 中文"}),
    ])
    codes = [code for code, _n in spec.districts]
    tally = {c: {"valid": 0, "spoilt": 0, "web": 0, "paper": 0} for c in codes}
    for _id, district, _choices, channel, status in spec.ballots:
        tally[district][status] += 1
        tally[district][channel] += 1
    judges = spec.judges or sorted({row[1] for row in spec.scores})
    bundle.files = {
        "config.json": json_bytes({
            "spec": "awards-scoring/2",
            "campaign": {"slug": SLUG, "name_en": "Worked example", "name_zh": "示例",
                         "max_choices": spec.max_choices, "finalists": spec.finalists,
                         "public_weight": spec.public_weight, "judge_method": spec.method,
                         "final_public_weight": spec.final_public_weight,
                         "bootstrap": spec.bootstrap, "entries_required": False,
                         "seed": spec.seed},
            "districts": [{"code": c, "name_en": c, "name_zh": c, "households": n,
                           "frame_count": n, "population": n} for c, n in spec.districts],
            "departments": [{"code": c, "name_en": f"Department {c}", "name_zh": c,
                             "eligible": ok} for c, ok in spec.departments],
            "criteria": [{"round": r, "code": c, "name_en": c, "name_zh": c, "weight": w,
                          "max": m} for r, c, w, m in spec.criteria],
            "awards": [{"name_en": a[0], "name_zh": a[1], "places": a[2]}
                       for a in config.awards],
            "judges": judges,
        }),
        "districts.csv": csv_bytes(
            ("district", "households", "invited", "returned", "valid", "spoilt"),
            [(c, n, allocation[c], tally[c]["valid"] + tally[c]["spoilt"], tally[c]["valid"],
              tally[c]["spoilt"]) for c, n in sorted(spec.districts)]),
        "sample.json": json_bytes({"seed": spec.seed, "frame_digest": FRAME_DIGEST,
                                   "size": spec.sample_size, "frame_counts": frame_counts,
                                   "allocation": allocation, "codes_commitment": "c" * 64}),
        "ballots.csv": csv_bytes(("ballot_id", "district", "choices", "channel", "status"),
                                 sorted(spec.ballots)),
        "codes.csv": csv_bytes(
            ("district", "issued", "used_web", "used_paper", "void"),
            [(c, allocation[c] + 2, tally[c]["web"], tally[c]["paper"], 2)
             for c, _n in sorted(spec.districts)]),
        "scores.csv": csv_bytes(("round", "judge", "department", "criterion", "score"),
                                sorted(spec.scores)),
        "results.json": json_bytes(bundle.results),
        "audit_log.jsonl": audit_log_bytes(bundle.events),
    }
    assert set(bundle.files) == set(LISTED_FILES)
    return bundle


def build_worked_bundle(bootstrap: int = 2000) -> WorkedBundle:
    """The SPEC 6 worked example: one criterion per round (weight 1, max 100), so each
    score is the scorecard value ``y`` of the example."""
    return make_bundle(SyntheticCampaign(
        seed=SEED, districts=[(d.code, d.households) for d in DISTRICTS],
        departments=[(c, True) for c in DEPARTMENTS],
        criteria=[("final", "overall", 1.0, 100), ("preliminary", "overall", 1.0, 100)],
        ballots=worked_ballots(), scores=worked_scores(), bootstrap=bootstrap,
        judges=["J01", "J02", "J03"]))


@pytest.fixture(scope="session")
def worked_bundle() -> WorkedBundle:
    return build_worked_bundle()


# --------------------------------------------------------------------------- the application

WORKED_CONFIG = campaign_config_toml(
    slug="csea-worked", name_en="Customer Service Excellence Award (worked example)",
    name_zh="顧客服務卓越獎（示例）", criteria=[
        ("preliminary", "service", "Service", "服務", 0.5, 100),
        ("preliminary", "pledges", "Pledges", "承諾", 0.5, 100),
        ("final", "overall", "Overall", "整體", 1.0, 100),
    ])
APP_SEED = "CSEA-example-2002-household-sample"
WEB_PER_PATTERN = 1
FRAME = {"KT": 330, "ST": 540, "IS": 230}
# Preliminary scorecards: the worked example's y on two criteria of weight 0.5 and max
# 100, as (pledges, service) with pledges + service = 2·y.
PRELIMINARY_CARDS = {
    (f"j{judge[-1]}", code): (y + 1, y - 1)
    for judge, row in PRELIMINARY_SCORES.items() for code, y in row.items()
}


def frame_csv() -> bytes:
    lines = ["household_id,district,address"]
    for district, size in FRAME.items():
        lines += [f"{district}{i:05d},{district},{i} Worked Road" for i in range(1, size + 1)]
    return ("\n".join(lines) + "\n").encode()


def add_scorecards(campaign, round_name: str, cards: dict) -> None:
    from awards.extensions import db
    from awards.models import Judge, Score, Scorecard, User
    from awards.models.base import utcnow

    judges = {u: j for j, u in db.session.execute(
        select(Judge, User.username).join(User).where(Judge.campaign_id == campaign.id))}
    departments = {d.code: d for d in campaign.departments}
    criteria = sorted((c for c in campaign.criteria if c.round == round_name),
                      key=lambda c: c.code)  # values are given in criterion code order
    for (username, code), values in cards.items():
        card = Scorecard(campaign_id=campaign.id, round=round_name,
                         judge_id=judges[username].id, department_id=departments[code].id,
                         status="submitted", submitted_at=utcnow())
        card.scores = [Score(criterion_id=c.id, value=v)
                       for c, v in zip(criteria, values)]
        db.session.add(card)
    db.session.commit()


@dataclass
class PublishedCampaign:
    campaign: object
    letters: list
    web_ballots: list[str]


def store_paper_quickly(campaign, paper_csv: list[str]) -> None:
    """Paper returns written as :func:`awards.voting.ballots.import_paper_ballots` writes
    them (code burnt, ballot stored), in two bulk statements instead of one per row."""
    from sqlalchemy import insert, update

    from awards.extensions import db
    from awards.models import Ballot, VotingCode
    from awards.models.base import utctoday
    from awards.voting.codes import ballot_id, code_hmac, parse_code
    from awards.voting.households import pepper

    key = pepper()
    codes = {}
    for line in paper_csv[1:]:
        code, choices = line.split(",")
        picked = sorted(c for c in choices.split(";") if c)
        codes[code_hmac(key, parse_code(code))] = picked
    today = utctoday()
    districts = dict(db.session.execute(
        select(VotingCode.code_hmac, VotingCode.district_id)
        .where(VotingCode.code_hmac.in_(list(codes)))).all())
    db.session.execute(update(VotingCode).where(VotingCode.code_hmac.in_(list(codes)),
                                                VotingCode.state == "issued")
                       .values(state="used", channel="paper", day=today))
    rows = []
    for digest, picked in codes.items():
        valid = 1 <= len(picked) <= campaign.max_choices
        rows.append({"id": ballot_id(), "campaign_id": campaign.id,
                     "district_id": districts[digest],
                     "choices": ";".join(picked) if valid else "", "channel": "paper",
                     "status": "valid" if valid else "spoilt", "day": today})
    db.session.execute(insert(Ballot), rows)
    db.session.commit()


def build_published_campaign(*, publish_it: bool = True,
                             paper_import: bool = False) -> PublishedCampaign:
    """The worked example through the application (see the module docstring).

    With ``paper_import`` the paper returns go through the import service (slower); by
    default they are written in bulk exactly as the service writes them.
    """
    from awards.campaigns.config_file import parse_config
    from awards.campaigns.services import load_campaign_config
    from awards.extensions import db
    from awards.models import User
    from awards.phases import close_voting, move_phase, open_voting
    from awards.results.services import compute_campaign_results
    from awards.voting.ballots import cast_web_ballot, import_paper_ballots
    from awards.voting.households import (
        draw_campaign_sample,
        import_frame,
        issue_codes,
        reissue_code,
    )

    for number in (1, 2, 3):  # judges' accounts exist (saves three slow password hashes)
        if db.session.scalar(select(User).where(User.username == f"j{number}")) is None:
            db.session.add(User(username=f"j{number}", name=f"Judge {number}", role="judge",
                                password_hash="!", active=True))
    db.session.commit()
    campaign, _created, _notes = load_campaign_config(parse_config(WORKED_CONFIG))
    from ..conftest import pseudonyms_in_username_order

    pseudonyms_in_username_order(campaign)
    import_frame(campaign, io.BytesIO(frame_csv()))
    for state in ("entries_open", "entries_closed", "adjudication"):
        move_phase(campaign, state)
    draw_campaign_sample(campaign, sum(FRAME.values()), APP_SEED)
    letters: list = []
    issue_codes(campaign, letters.extend)
    replaced: list = []
    reissue_code(campaign, letters[0].household_id, replaced.extend)
    letters[0] = replaced[0]
    open_voting(campaign)
    by_district: dict[str, list] = {code: [] for code in FRAME}
    for letter in letters:
        by_district[letter.district].append(letter)
    web_ballots, paper = [], ["code,choices"]
    column = {d.code: i for i, d in enumerate(DISTRICTS)}
    for district, pool in by_district.items():
        queue = iter(pool)
        for pattern, counts in PATTERN_COUNTS.items():
            for n in range(counts[column[district]]):
                letter = next(queue)
                if n < WEB_PER_PATTERN:  # a few ballots cast on the web, the rest on paper
                    web_ballots.append(cast_web_ballot(campaign, letter.code, list(pattern)))
                else:
                    paper.append(f"{letter.code},{';'.join(pattern)}")
        paper.append(f"{next(queue).code},")                 # blank: spoilt
        paper.append(f"{next(queue).code},A;B;C;D")          # over-marked: spoilt
    if paper_import:
        import_paper_ballots(campaign, io.BytesIO(("\n".join(paper) + "\n").encode()))
    else:
        store_paper_quickly(campaign, paper)
    close_voting(campaign)
    add_scorecards(campaign, "preliminary", PRELIMINARY_CARDS)
    compute_campaign_results(campaign, "olivia")
    move_phase(campaign, "finalists_announced")
    move_phase(campaign, "final_judging")
    add_scorecards(campaign, "final", {
        (f"j{i}", code): (y,) for code, ys in FINAL_SCORES.items()
        for i, y in enumerate(ys, start=1)})
    compute_campaign_results(campaign, "olivia")
    if publish_it:
        from awards.publication.publish import publish

        publish(campaign, "olivia")
    return PublishedCampaign(campaign, letters, web_ballots)


def snapshot_of(folder, name: str, **options) -> Snapshot:
    """The campaign built once into a snapshot; its value is what a test cannot read back
    from the database (the letters' plaintext codes, the web receipts)."""
    def build():
        built = build_published_campaign(**options)
        return built.campaign.id, built.letters, built.web_ballots

    return prepare_snapshot(folder, name, build)


def restored_or_built(request, name: str, **options) -> PublishedCampaign:
    value = restored(request, name)
    if value is None:
        return build_published_campaign(**options)
    from awards.extensions import db
    from awards.models import Campaign

    campaign_id, letters, web_ballots = value
    return PublishedCampaign(db.session.get(Campaign, campaign_id), copy.deepcopy(letters),
                             list(web_ballots))


@pytest.fixture(scope="session")
def final_judging_snapshot(tmp_path_factory) -> Snapshot:
    return snapshot_of(tmp_path_factory.mktemp("final-judging"), "final_judging_campaign",
                       publish_it=False)


@pytest.fixture(scope="session")
def published_snapshot(tmp_path_factory) -> Snapshot:
    return snapshot_of(tmp_path_factory.mktemp("published"), "published")


@pytest.fixture(scope="session")
def published_via_services_snapshot(tmp_path_factory) -> Snapshot:
    return snapshot_of(tmp_path_factory.mktemp("published-via-services"),
                       "published_via_services", paper_import=True)


register_snapshot("final_judging_campaign", "final_judging_snapshot")
register_snapshot("published", "published_snapshot")
register_snapshot("published_via_services", "published_via_services_snapshot")


@pytest.fixture
def final_judging_campaign(app, request) -> PublishedCampaign:
    return restored_or_built(request, "final_judging_campaign", publish_it=False)


@pytest.fixture
def published(app, request) -> PublishedCampaign:
    return restored_or_built(request, "published")


@pytest.fixture
def published_via_services(app, request) -> PublishedCampaign:
    """Every ballot through the voting services (web casting and the paper import)."""
    return restored_or_built(request, "published_via_services", paper_import=True)

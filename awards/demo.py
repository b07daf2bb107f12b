"""``flask awards demo``: a complete demo campaign built from the reference data through the
same services organisers use (config file, frame import, sample, codes, votes, scores)."""

from __future__ import annotations

import csv
import random
from collections.abc import Callable
from pathlib import Path

from flask import current_app
from sqlalchemy import delete, select

from awards.about import ROOT
from awards.accounts.services import create_user
from awards.campaigns.config_file import parse_config
from awards.campaigns.services import load_campaign_config
from awards.entries.demo_entries import judge_demo_eligibility, write_demo_entries
from awards.campaigns.eligibility import eligible_departments
from awards.exceptions import InvalidInput
from awards.extensions import db
from awards.models import AuditEvent, Campaign, User, VotingCode
from awards.phases import move_phase, open_voting
from awards.results.demo_scores import add_demo_scores
from awards.voting.ballots import cast_web_ballot
from awards.voting.codes import code_hmac, format_code, parse_code
from awards.voting.households import draw_campaign_sample, import_frame, issue_codes
from awards.voting.letters import write_letters_csv

SLUG = "csea-demo"
SEED = "CSEA-demo-2026-public-draw-seed"
PASSWORD = "demo-password-2026"
SAMPLE_SIZE = 4000
FRAME_SCALE = 10  # one synthetic household per ten real ones
# The 2001-02 scheme had 28 competitors; the demo leaves out six departments that serve
# businesses or specialists more than households.
LEFT_OUT = {"CR", "HKO", "IPD", "MD", "ORO", "TID"}
JUDGES = 12
BALLOT_SHARE = 0.4  # share of letters whose household votes in the demo

PRELIMINARY = [
    ("pledges", "Performance pledges met", "服務承諾達標", 0.3),
    ("courtesy", "Courtesy and helpfulness", "禮貌及樂於助人", 0.25),
    ("access", "Accessibility of services", "服務便捷程度", 0.25),
    ("improve", "Continuous improvement", "持續改善", 0.2),
]
FINAL = [
    ("impact", "Impact on the public", "對市民的影響", 0.6),
    ("presentation", "Final presentation", "最後階段簡報", 0.4),
]
AWARDS = [("Grand Award", "大獎"), ("Gold Award", "金獎"), ("Silver Award", "銀獎"),
          ("Bronze Award", "銅獎")]


def default_data_dir() -> Path:
    """The reference data shipped with the package (awards/data/README.md says where it
    comes from)."""
    return Path(__file__).resolve().parent / "data"


def read_csv(path: Path) -> list[dict[str, str]]:
    try:
        with path.open(encoding="utf-8", newline="") as stream:
            return list(csv.DictReader(stream))
    except OSError as exc:
        raise InvalidInput(f"reference data missing: {exc} (use --data-dir)") from None


def toml_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def demo_config(departments: list[dict], districts: list[dict]) -> str:
    """The demo campaign as a TOML config, exactly as an organiser would write one."""
    lines = ["[campaign]", f"slug = {toml_string(SLUG)}",
             'name_en = "Customer Service Excellence Award 2026 (demo)"',
             'name_zh = "2026年度顧客服務卓越獎（示範）"',
             "max_choices = 3", "finalists = 8", "public_weight = 0.3",
             'judge_method = "additive"', "bootstrap = 2000",
             "entries_required = true", "grace_minutes = 15", ""]
    for name_en, name_zh in AWARDS:
        lines += ["[[awards]]", f"name_en = {toml_string(name_en)}",
                  f"name_zh = {toml_string(name_zh)}", "places = 1", ""]
    for d in districts:
        lines += ["[[districts]]", f"code = {toml_string(d['code'])}",
                  f"name_en = {toml_string(d['name_en'])}",
                  f"name_zh = {toml_string(d['name_zh'])}",
                  f"households = {int(d['households_2021'])}", ""]
    for d in departments:
        lines += ["[[departments]]", f"code = {toml_string(d['code'])}",
                  f"name_en = {toml_string(d['name_en'])}",
                  f"name_zh = {toml_string(d['name_zh'])}", ""]
    for round_name, criteria in (("preliminary", PRELIMINARY), ("final", FINAL)):
        for code, en, zh, weight in criteria:
            lines += ["[[criteria]]", f'round = "{round_name}"', f'code = "{code}"',
                      f"name_en = {toml_string(en)}", f"name_zh = {toml_string(zh)}",
                      f"weight = {weight}", "max = 10", ""]
    codes = [d["code"] for d in departments]
    for number in range(1, JUDGES + 1):
        # Every third judge comes from a department (a derived conflict); some declare one.
        affiliation = codes[(number * 5) % len(codes)] if number % 3 == 0 else None
        conflicts = [codes[(number * 7) % len(codes)]] if number % 4 == 0 else []
        lines += ["[[judges]]", f'username = "j{number:02d}"',
                  f'name = "Judge {number:02d}"',
                  "conflicts = [" + ", ".join(toml_string(c) for c in conflicts) + "]"]
        if affiliation:
            lines.append(f"affiliations = [{toml_string(affiliation)}]")
        lines.append("")
    return "\n".join(lines)


def write_frame(path: Path, districts: list[dict], rng: random.Random) -> int:
    """A synthetic frame proportional to the 2021 census households, at 1/10 scale."""
    streets = ["Hing Wah Street", "Tai Hang Road", "Po Lam Road", "Shing Mun Road",
               "Lok Fu Road", "Wan Po Road", "Ma On Shan Road", "Castle Peak Road"]
    count = 0
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["household_id", "district", "address"])
        for d in districts:
            for i in range(1, int(d["households_2021"]) // FRAME_SCALE + 1):
                address = (f"Flat {rng.randint(1, 40)}{rng.choice('ABCDEFGH')}, "
                           f"{rng.randint(1, 60)}/F, {rng.randint(1, 300)} "
                           f"{rng.choice(streets)}, {d['name_en']}")
                writer.writerow([f"{d['code']}-{i:06d}", d["code"], address])
                count += 1
    return count


def ensure_user(role: str, username: str, name: str, department: str | None = None) -> None:

    user = db.session.scalar(select(User).where(User.username == username))
    if user is not None and user.active:
        return
    create_user(role, username, PASSWORD, name=name, department_code=department)


def remove_demo() -> None:
    """Delete the demo campaign and its audit chain (demo data only)."""
    db.session.execute(delete(Campaign).where(Campaign.slug == SLUG))
    db.session.execute(delete(AuditEvent).where(AuditEvent.chain == SLUG))
    db.session.commit()


def build_demo(*, reset: bool = False, data_dir: Path | None = None,
               progress: Callable[[str], None] = print, base_url: str | None = None) -> str:
    """Build the demo campaign (or report on the existing one) and return the sign-in text,
    whose links start with ``base_url`` (default: the configured public address).

    Raises
    ------
    InvalidInput
        When the reference data cannot be read.
    """
    data_dir = data_dir or default_data_dir()
    work = Path(current_app.instance_path) / "demo"
    work.mkdir(parents=True, exist_ok=True)
    letters_path = work / "letters.csv"
    exists = db.session.scalar(select(Campaign).where(Campaign.slug == SLUG)) is not None
    if exists and reset:
        progress("removing the old demo campaign ...")
        remove_demo()
        letters_path.unlink(missing_ok=True)
    if not exists or reset:
        _build(data_dir, work, letters_path, progress)
    return report(letters_path, base_url)


def _build(data_dir: Path, work: Path, letters_path: Path,
           progress: Callable[[str], None]) -> None:
    rng = random.Random(2026)
    departments = sorted((d for d in read_csv(data_dir / "hk_departments.csv")
                          if d["code"] not in LEFT_OUT), key=lambda d: d["code"])
    districts = read_csv(data_dir / "hk_districts.csv")
    progress("creating staff accounts ...")
    ensure_user("organiser", "organiser", "Award Secretariat")
    ensure_user("auditor", "auditor", "Independent Auditor")
    ensure_user("coordinator", "coord-" + departments[0]["code"].lower(),
                f"Coordinator, {departments[0]['name_en']}", departments[0]["code"])
    config_path = work / "campaign.toml"
    config_path.write_text(demo_config(departments, districts), encoding="utf-8")
    progress(f"loading {config_path.name} ...")
    campaign, _created, _notes = load_campaign_config(
        parse_config(config_path.read_text(encoding="utf-8")))
    for number in range(1, JUDGES + 1):
        ensure_user("judge", f"j{number:02d}", f"Judge {number:02d}")
    frame_path = work / "frame.csv"
    households = write_frame(frame_path, districts, rng)
    progress(f"importing a synthetic frame of {households:,} households ...")
    with frame_path.open("rb") as stream:
        import_frame(campaign, stream)
    move_phase(campaign, "entries_open")
    _draft, ineligible = write_demo_entries(campaign, rng, progress)
    move_phase(campaign, "entries_closed")
    judge_demo_eligibility(campaign, ineligible)
    move_phase(campaign, "adjudication")
    progress(f"drawing a sample of {SAMPLE_SIZE:,} with seed {SEED!r} ...")
    draw_campaign_sample(campaign, SAMPLE_SIZE, SEED)

    def deliver(letters) -> None:
        with letters_path.open("w", encoding="utf-8", newline="") as stream:
            write_letters_csv(((l.household_id, l.district, l.code, l.address)
                               for l in letters), stream)

    progress("issuing codes ...")
    issue_codes(campaign, deliver)
    open_voting(campaign)
    cast_demo_votes(campaign, letters_path, rng, progress)
    # Results are computed once voting closes (exact counts during the vote could link
    # ballots to households): close it with 'flask awards voting close csea-demo'.
    add_demo_scores(campaign, rng, progress)


def cast_demo_votes(campaign: Campaign, letters_path: Path, rng: random.Random,
                    progress: Callable[[str], None]) -> None:
    """Some households vote on the web, through the same service as the vote pages."""
    letters = read_csv(letters_path)
    departments = [d.code for d in eligible_departments(campaign)]
    popularity = [rng.random() ** 2 + 0.05 for _ in departments]
    # The first letters stay unused for the printed sign-in sheet; voters come from everywhere.
    voters = rng.sample(letters[10:], int(len(letters) * BALLOT_SHARE))
    progress(f"casting {len(voters):,} demo ballots ...")
    for letter in voters:
        k = rng.choice([1, 2, 2, 3, 3, 3])
        choices: set[str] = set()
        while len(choices) < k:
            choices.add(rng.choices(departments, popularity)[0])
        cast_web_ballot(campaign, letter["code"], sorted(choices))


def report(letters_path: Path, base_url: str | None = None) -> str:
    """Sign-ins and five unused voting codes (checked against the database), with links
    under ``base_url`` (default: the configured public address)."""
    pepper = current_app.config["CODE_PEPPER"].encode()
    unused: list[str] = []
    if letters_path.exists():
        for row in read_csv(letters_path):
            code = parse_code(row["code"])
            state = db.session.scalar(select(VotingCode.state).where(
                VotingCode.code_hmac == code_hmac(pepper, code)))
            if state == "issued":
                unused.append(format_code(code))
            if len(unused) == 5:
                break
    base = (base_url or current_app.config["PUBLIC_BASE_URL"]).rstrip("/")
    lines = [
        f"Demo campaign '{SLUG}' is ready at {base}/",
        "",
        f"Staff sign-in at {base}/signin (password for all: {PASSWORD})",
        "  organiser   organiser",
        "  auditor     auditor",
        f"  coordinator {_coordinator()}",
        "  judges      j01 ... j12",
        "",
        "Five unused household voting codes (vote at " + base + "/vote):",
        *[f"  {code}" for code in unused],
    ]
    return "\n".join(lines)


def _coordinator() -> str:
    name = db.session.scalar(select(User.username).where(User.role == "coordinator",
                                                        User.username.like("coord-%")))
    return name or "-"

"""Creating and updating campaigns from a config, lifecycle moves and freezes (SPEC 2, 8)."""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict
from datetime import UTC
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from awards.audit.service import record
from awards.campaigns.config_file import CampaignSpec
from awards.exceptions import FrozenError, LifecycleError, RefusedChange
from awards.extensions import db
from awards.models import (
    AwardTier,
    Campaign,
    Category,
    Conflict,
    Criterion,
    Department,
    District,
    Judge,
    User,
)
from awards.models.base import utcnow
from awards.models.campaign import STATES

# Settings frozen when voting opens (SPEC section 2).
FROZEN_SETTINGS = ("max_choices", "finalists", "public_weight", "judge_method",
                   "final_public_weight", "entries_required")


# Items whose keys are frozen when voting opens: a department or district cannot come or
# go, and neither can a criterion, nor its weight or scale; names stay editable.
FROZEN_ITEMS = {
    "departments": ("code",),
    "districts": ("code", "households"),
    "criteria": ("round", "code", "weight", "max"),
}
# The voting window moves only with 'voting open/close' once voting has opened.
WINDOW = ("voting_opens_at", "voting_closes_at")


def frozen_fingerprint(campaign: Campaign | None, spec: CampaignSpec) -> dict[str, tuple]:
    """The frozen parts of a campaign (or of a spec when ``campaign`` is None), comparable."""
    source: Any = campaign if campaign is not None else spec
    parts = {"settings": tuple(getattr(source, k) for k in FROZEN_SETTINGS)}
    for section, keys in FROZEN_ITEMS.items():
        parts[section] = tuple(sorted(tuple(getattr(item, k) for k in keys)
                                      for item in getattr(source, section)))
    return parts


def frozen_parts_changed(campaign: Campaign, spec: CampaignSpec) -> list[str]:
    """The frozen parts ``spec`` would change on a campaign whose voting has opened
    (``settings``, ``departments``, …, and the window's settings); empty before."""
    if not campaign.is_frozen:
        return []
    before, after = frozen_fingerprint(campaign, spec), frozen_fingerprint(None, spec)
    changed = [k for k in before if before[k] != after[k]]
    return changed + [k for k in WINDOW if getattr(spec, k) is not None
                      and getattr(spec, k) != as_utc(getattr(campaign, k))]


# Session.info keys: refused changes whose event is in the open transaction, and refused
# changes whose transaction was rolled back, still to record.
REFUSALS_IN_TRANSACTION = "awards_refusals_in_transaction"
REFUSALS_TO_RECORD = "awards_refusals_to_record"


def refuse(campaign: Campaign, change: str, reason: str, *, code: str,
           **params: Any) -> FrozenError:
    """The error for a refused ``change`` to ``campaign``, recorded in its audit log.

    Nothing is rolled back or committed here: the event joins the caller's transaction. If
    that transaction commits (a caller that catches the error and goes on), the event is
    stored with it; if it is rolled back, the use-case boundary (the web error module, the
    end of the request, the command line) records the refused change again in a
    transaction of its own (:func:`rollback_use_case`).
    """
    refused = RefusedChange(chain=campaign.slug, change=change, reason=reason)
    _record_refusal(refused)
    db.session.info.setdefault(REFUSALS_IN_TRANSACTION, []).append(refused)
    return FrozenError(reason, code=code, refused=refused, slug=campaign.slug, **params)


def rollback_use_case() -> None:
    """End a failed use case: roll its work back, then record the changes it was refused
    in a transaction of their own and commit that. Only the boundaries call this."""
    db.session.rollback()
    refused = db.session.info.pop(REFUSALS_TO_RECORD, [])
    if refused:
        for change in refused:
            _record_refusal(change)
        db.session.commit()


def has_pending_refusals() -> bool:
    """Whether a refused change still waits for its transaction to end, or to be recorded."""
    info = db.session.info
    return bool(info.get(REFUSALS_IN_TRANSACTION) or info.get(REFUSALS_TO_RECORD))


def _record_refusal(refused: RefusedChange) -> None:
    record("change_refused", refused.chain, {"change": refused.change,
                                             "reason": refused.reason}, chain=refused.chain)


@event.listens_for(Session, "after_commit")
def _refusals_committed(session: Session) -> None:
    """The commit stored the refusal events of its transaction."""
    session.info.pop(REFUSALS_IN_TRANSACTION, None)


@event.listens_for(Session, "after_rollback")
def _refusals_rolled_back(session: Session) -> None:
    """The rollback dropped the refusal events of its transaction: they wait for the
    boundary to record them again."""
    dropped = session.info.pop(REFUSALS_IN_TRANSACTION, None)
    if dropped:
        session.info.setdefault(REFUSALS_TO_RECORD, []).extend(dropped)


def load_campaign_config(spec: CampaignSpec) -> tuple[Campaign, bool, list[str]]:
    """Create or update the campaign described by ``spec`` in one transaction.

    Returns
    -------
    (campaign, created, notes)
        ``notes`` lists judge accounts created inactive, waiting for an invitation.

    Raises
    ------
    FrozenError
        When the campaign is published, or when voting has opened and a frozen part differs.
    """
    campaign = db.session.scalar(select(Campaign).where(Campaign.slug == spec.slug))
    created = campaign is None
    if campaign is not None:
        if campaign.state == "published":
            raise refuse(campaign, "config", f"campaign '{spec.slug}' is published; its "
                         "configuration can no longer change", code="frozen.config_published")
        changed = frozen_parts_changed(campaign, spec)
        if changed:
            raise refuse(campaign, "config", f"voting has opened: {', '.join(changed)} of "
                         f"'{spec.slug}' are frozen (the window moves only with "
                         "'flask awards voting open/close')", code="frozen.config_settings",
                         parts=", ".join(changed))
    else:
        campaign = Campaign(slug=spec.slug)
        db.session.add(campaign)
    window = () if campaign.is_frozen else WINDOW
    for key in ("name_en", "name_zh", *FROZEN_SETTINGS, "bootstrap", *window,
                "entries_close_at", "grace_minutes"):
        setattr(campaign, key, getattr(spec, key))
    _sync(campaign, campaign.districts, District, spec.districts,
          ("name_en", "name_zh", "households"))
    _sync(campaign, campaign.departments, Department, spec.departments, ("name_en", "name_zh"))
    _sync(campaign, campaign.categories, Category, spec.categories, ("name_en", "name_zh"),
          position=True)
    _sync_criteria(campaign, spec)
    campaign.award_tiers.clear()
    db.session.flush()
    for position, award in enumerate(spec.awards, start=1):
        campaign.award_tiers.append(AwardTier(position=position, **asdict(award)))
    db.session.flush()
    notes = _sync_judges(campaign, spec)
    record("campaign_created" if created else "campaign_updated", campaign.slug,
           _config_summary(spec), chain=campaign.slug)
    db.session.commit()
    return campaign, created, notes


def _sync(campaign: Campaign, current: list, model: type, items: list, fields: tuple[str, ...],
          *, position: bool = False) -> None:
    by_code = {row.code: row for row in current}
    wanted = {item.code for item in items}
    for code, row in by_code.items():
        if code not in wanted:
            current.remove(row)
    for index, item in enumerate(items):
        row = by_code.get(item.code)
        if row is None:
            row = model(code=item.code)
            current.append(row)
        for name in fields:
            setattr(row, name, getattr(item, name))
        if position:
            row.position = index
    db.session.flush()


def _sync_criteria(campaign: Campaign, spec: CampaignSpec) -> None:
    by_key = {(c.round, c.code): c for c in campaign.criteria}
    wanted = {(c.round, c.code) for c in spec.criteria}
    for key, row in by_key.items():
        if key not in wanted:
            campaign.criteria.remove(row)
    for position, item in enumerate(spec.criteria):
        row = by_key.get((item.round, item.code))
        if row is None:
            row = Criterion(round=item.round, code=item.code)
            campaign.criteria.append(row)
        for name in ("name_en", "name_zh", "guidance_en", "guidance_zh", "weight", "max"):
            setattr(row, name, getattr(item, name))
        row.anchors_en = json.dumps(list(item.anchors_en), ensure_ascii=False)
        row.anchors_zh = json.dumps(list(item.anchors_zh), ensure_ascii=False)
        row.position = position
    db.session.flush()


def _sync_judges(campaign: Campaign, spec: CampaignSpec) -> list[str]:
    """Judges named in the config join the panel; missing accounts are created inactive
    (no usable password) until the organiser sends them an invitation."""
    notes = []
    departments = {d.code: d for d in campaign.departments}
    judges = {j.user.username: j for j in
              db.session.scalars(select(Judge).where(Judge.campaign_id == campaign.id))}
    wanted = {j.username for j in spec.judges}
    for username, judge in judges.items():
        if username not in wanted:
            db.session.delete(judge)
    db.session.flush()
    kept = {j.pseudonym for u, j in judges.items() if u in wanted and j.pseudonym}
    pseudonyms = _pseudonym_pool(len(spec.judges) - len(kept), kept)
    for item in spec.judges:
        user = db.session.scalar(select(User).where(User.username == item.username))
        if user is None:
            user = User(username=item.username, name=item.name, role="judge", active=False,
                        department_code=item.affiliations[0] if item.affiliations else None)
            user.set_unusable_password()
            db.session.add(user)
            notes.append(f"judge account '{item.username}' created inactive: send an invitation")
        elif user.role != "judge":
            raise LifecycleError(f"user '{item.username}' is a {user.role}, not a judge",
                                 code="config.not_a_judge", username=item.username,
                                 role=user.role)
        if item.affiliations:
            user.department_code = item.affiliations[0]
        judge = judges.get(item.username)
        if judge is None:
            judge = Judge(campaign_id=campaign.id, user=user, name=item.name)
            db.session.add(judge)
        judge.name = item.name
        judge.pseudonym = judge.pseudonym or pseudonyms.pop()
        db.session.flush()
        _sync_conflicts(campaign, judge, item.conflicts,
                        (*item.affiliations, user.department_code), departments)
    return notes


def _pseudonym_pool(needed: int, taken: set[str]) -> list[str]:
    """``needed`` free pseudonyms J01… in a random order (from ``secrets``): published score
    sheets must not reveal which judge is which, so the numbers follow no order of names."""
    free: list[str] = []
    number = 1
    while len(free) < needed:
        if f"J{number:02d}" not in taken:
            free.append(f"J{number:02d}")
        number += 1
    secrets.SystemRandom().shuffle(free)
    return free


def _sync_conflicts(campaign: Campaign, judge: Judge, declared: tuple[str, ...],
                    affiliations: tuple[str | None, ...],
                    departments: dict[str, Department]) -> None:
    existing = {c.department_id: c for c in
                db.session.scalars(select(Conflict).where(Conflict.judge_id == judge.id))}
    wanted: dict[int, str] = {departments[code].id: "organiser" for code in declared}
    for code in affiliations:
        if code in departments:
            wanted.setdefault(departments[code].id, "affiliation")
    for department_id, source in wanted.items():
        if department_id not in existing:
            db.session.add(Conflict(campaign_id=campaign.id, judge_id=judge.id,
                                    department_id=department_id, source=source,
                                    reason="campaign configuration"))
            # The campaign chain is published: judges appear by pseudonym only.
            record("conflict_set", f"{judge.pseudonym}/{_code(departments, department_id)}",
                   {"source": source}, chain=campaign.slug)
    for department_id, conflict in existing.items():
        if department_id not in wanted and conflict.source != "declared":
            db.session.delete(conflict)
    db.session.flush()


def _code(departments: dict[str, Department], department_id: int) -> str:
    return next(code for code, d in departments.items() if d.id == department_id)


def _config_summary(spec: CampaignSpec) -> dict[str, Any]:
    return {
        "name_en": spec.name_en,
        "settings": {k: getattr(spec, k) for k in (*FROZEN_SETTINGS, "bootstrap",
                                                   "entries_required", "grace_minutes")},
        "entries_close_at": (spec.entries_close_at.strftime("%Y-%m-%dT%H:%M:%SZ")
                             if spec.entries_close_at else None),
        "departments": [d.code for d in spec.departments],
        "districts": {d.code: d.households for d in spec.districts},
        "criteria": {f"{c.round}/{c.code}": [c.weight, c.max] for c in spec.criteria},
        "awards": [[a.name_en, a.places] for a in spec.awards],
        "judges": len(spec.judges),
    }


def next_state(campaign: Campaign) -> str | None:
    index = STATES.index(campaign.state)
    return STATES[index + 1] if index + 1 < len(STATES) else None


def voting_window_is_open(campaign: Campaign) -> bool:
    """Inside the window, and only once 'voting open' has frozen the settings and codes exist:
    a window written in a config file does not open the vote by itself."""
    if campaign.frozen_at is None or not campaign.codes_commitment:
        return False
    now = utcnow()
    opens, closes = as_utc(campaign.voting_opens_at), as_utc(campaign.voting_closes_at)
    return bool(opens and opens <= now and (closes is None or now < closes))


def as_utc(value):
    """SQLite returns naive datetimes; every stored datetime is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def ensure_not_published(campaign: Campaign, what: str) -> None:
    """Refuse a change to ``what`` once the campaign is published (SPEC section 2).

    Raises
    ------
    FrozenError
        After recording the refused change in the campaign's audit log (see :func:`refuse`).
    """
    if campaign.state == "published":
        raise refuse(campaign, what, f"'{campaign.slug}' is published: its {what} are frozen "
                     "and cannot change", code="frozen.published", what=what)


def lock_campaign(campaign: Campaign) -> Campaign:
    """Reload the campaign row with a lock for the rest of the transaction (PostgreSQL
    ``FOR UPDATE``; SQLite transactions hold the write lock already), so that two requests
    cannot both pass a check such as "codes not issued yet"."""
    db.session.refresh(campaign, with_for_update=True)
    return campaign


def voting_is_open(campaign: Campaign) -> bool:
    return campaign.state == "adjudication" and voting_window_is_open(campaign)

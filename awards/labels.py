"""Human labels for stored values (phases, roles, statuses), marked for translation.

Templates show ``value|label``; extraction sees every label here.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

LABELS = {
    # campaign phases (SPEC section 2)
    "draft": _l("Draft"),
    "entries_open": _l("Entries open"),
    "entries_closed": _l("Entries closed"),
    "adjudication": _l("Adjudication"),
    "finalists_announced": _l("Finalists announced"),
    "final_judging": _l("Final judging"),
    "published": _l("Published"),
    # roles
    "organiser": _l("Organiser"),
    "coordinator": _l("Department coordinator"),
    "judge": _l("Judge"),
    "auditor": _l("Auditor"),
    # entries
    "submitted": _l("Submitted"),
    "pending": _l("Pending review"),
    "eligible": _l("Eligible"),
    "ineligible": _l("Ineligible"),
    # codes and ballots
    "issued": _l("Issued"),
    "used": _l("Used"),
    "void": _l("Void"),
    "valid": _l("Valid"),
    "spoilt": _l("Spoilt"),
    "web": _l("Web"),
    "paper": _l("Paper"),
    # rounds
    "preliminary": _l("Preliminary round"),
    "final": _l("Final round"),
}


# Audit log actions (the ``action`` of each event, SPEC section 7): the one place that names
# them for readers. The log itself keeps the stable codes; pages show these names.
AUDIT_ACTIONS = {
    "campaign_created": _l("Campaign created"),
    "campaign_updated": _l("Campaign settings changed"),
    "change_refused": _l("Change refused"),
    "conflict_set": _l("Judge conflict recorded"),
    "phase_changed": _l("Phase changed"),
    "frame_imported": _l("Household frame imported"),
    "seed_recorded": _l("Sample seed recorded"),
    "sample_drawn": _l("Sample drawn"),
    "codes_issued": _l("Voting codes issued"),
    "code_reissued": _l("Voting code reissued"),
    "letter_files_deleted": _l("Letter files deleted"),
    "addresses_purged": _l("Addresses purged"),
    "voting_opened": _l("Voting opened"),
    "voting_closed": _l("Voting closed"),
    "guess_alarm": _l("Code-guessing alarm"),
    "paper_ballots_imported": _l("Paper ballots imported"),
    "scores_imported": _l("Judges' scores imported"),
    "results_computed": _l("Results computed"),
    "results_exported": _l("Results exported"),
    "published": _l("Results published"),
    "bundle_exported": _l("Audit bundle downloaded"),
    "user_created": _l("Staff account created"),
    "staff_signed_in": _l("Staff signed in"),
    "staff_signed_out": _l("Staff signed out"),
    "staff_signin_failed": _l("Failed staff sign-in"),
    "invitation_created": _l("Invitation sent"),
    "invitation_accepted": _l("Invitation accepted"),
    "entry_started": _l("Entry started"),
    "entry_submitted": _l("Entry submitted"),
    "entry_returned": _l("Entry returned for amendment"),
    "eligibility_set": _l("Eligibility decided"),
    "entry_deadline_set": _l("Entries deadline set"),
    "deadline_extended": _l("Deadline extended for a department"),
    "assignment_solved": _l("Judges assigned"),
    "assignment_resolve_needed": _l("Assignment needs re-solving"),
    "final_assignment": _l("Final-round assignment made"),
    "scores_withdrawn": _l("Scores withdrawn after a conflict"),
    "scorecard_submitted": _l("Scorecard submitted"),
    "scorecard_amended": _l("Scorecard amended"),
    "scorecard_excused": _l("Scorecard excused"),
    "scorecard_reopened": _l("Scorecard reopened"),
    "round_closed": _l("Judging round closed"),
    "password_set": _l("Password set"),
    "password_reset_issued": _l("Sign-in reset (link issued)"),
    "password_reset": _l("New password set with a reset link"),
    "assignment_rule_set": _l("Assignment pin or forbid set"),
    "assignment_rule_removed": _l("Assignment pin or forbid removed"),
    "attachment_added": _l("Attachment added"),
    "attachment_removed": _l("Attachment removed"),
}


def action_label(code: str | None) -> str:
    """The translated name of an audit action, or the code itself for one not named yet."""
    if not code:
        return ""
    found = AUDIT_ACTIONS.get(code)
    return str(found) if found is not None else code


def label(value: str | None) -> str:
    """The translated label of a stored value, or the value itself when it has none."""
    if value is None:
        return ""
    found = LABELS.get(value)
    return str(found) if found is not None else value

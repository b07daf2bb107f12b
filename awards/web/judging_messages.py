"""Messages of adjudication's domain errors (``awards.judging``), by code, in the reader's
language. ``awards.web.messages`` merges them into its table."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

JUDGING_MESSAGES = {
    "scorecard.not_found": _l("There is no such scorecard for you."),
    "scorecard.nul": _l("The form holds a NUL character. Nothing was saved."),
    "scorecard.unknown_criterion": _l("There is no criterion '%(criterion)s' in this round. "
                                      "Nothing was saved."),
    "scorecard.bad_score": _l("The score for '%(criterion)s' must be a whole number from 0 to "
                              "%(max)s. Nothing was saved."),
    "scorecard.bad_comment": _l("The comment on '%(criterion)s' must be plain text of at most "
                                "%(size)s characters. Nothing was saved."),
    "scorecard.bad_action": _l("Choose Save, Submit or Amend. Nothing was saved."),
    "scorecard.bad_device": _l("The form is missing its device id. Reload the page and try "
                               "again. Nothing was saved."),
    "scorecard.bad_counter": _l("The form's '%(field)s' is not a whole number. Reload the page "
                                "and try again. Nothing was saved."),
    "scorecard.bad_reason": _l("The reason must be plain text of at most %(size)s "
                               "characters."),
    "scorecard.reason_needed": _l("Give the reason for the amendment."),
    "scorecard.published": _l("The results are published: scores are frozen."),
    "scorecard.round_closed": _l("The round is closed: only the award secretariat can reopen "
                                 "a scorecard."),
    "scorecard.round_not_open": _l("This round is not open for scoring now."),
    "scorecard.stale": _l("Another device changed this scorecard first. Both versions are "
                          "shown below: choose which to keep."),
    "scorecard.submitted": _l("This scorecard is submitted. To change it, amend it and give "
                              "a reason."),
    "scorecard.not_submitted": _l("Only a submitted scorecard can be amended."),
    "scorecard.incomplete": _l("Not every criterion is scored. Missing: %(names)s."),
    "judging.reason_needed": _l("Give a reason."),
    "conflict.unknown_department": _l("There is no department '%(department)s' in this "
                                      "campaign."),
    "conflict.unknown_judge": _l("'%(username)s' is not on this campaign's panel."),
    "conflict.bad_type": _l("Choose the kind of conflict."),
    "conflict.bad_reason": _l("Give the reason, in plain text of at most %(size)s "
                              "characters."),
    "round.unknown": _l("There is no round '%(round)s'."),
    "round.already_closed": _l("The round is already closed."),
    "round.unsubmitted": _l("The round cannot close: %(count)s assigned scorecards are "
                            "neither submitted nor excused."),
    "round.not_assigned": _l("'%(username)s' is not assigned '%(department)s' in this "
                             "round."),
    "round.excuse_submitted": _l("This scorecard is submitted: there is nothing to excuse."),
    "round.reopen_unsubmitted": _l("Only a submitted scorecard can be reopened."),
}

"""The one place where a domain exception becomes a sentence in the reader's language.

Services raise :class:`awards.exceptions.AwardsError` with a stable ``code`` and the
``params`` of the message; ``str(exc)`` stays the English sentence the command line prints.
Pages, fragments and flash messages show :func:`describe`, which looks the code up here and
falls back to the English sentence for a code not listed. The English texts below match the
services' sentences, except where the command line's sentence names a command: a page
names the page and button that do it instead.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import get_locale, lazy_pgettext, ngettext

from awards.exceptions import AwardsError
from awards.labels import label
from awards.web.judging_messages import JUDGING_MESSAGES

MESSAGES = {
    # lifecycle moves (awards.phases)
    "lifecycle.unknown_state": _l("unknown state '%(target)s'"),
    "lifecycle.skip": _l("cannot move '%(slug)s' from '%(state)s' to '%(target)s': the next "
                         "state is '%(next)s'"),
    "lifecycle.published": _l("cannot move '%(slug)s' from '%(state)s' to '%(target)s': it is "
                              "already published"),
    "lifecycle.voting_open": _l("close voting before announcing the finalists"),
    "lifecycle.publish_separately": _l("publish with “Publish…” in the next step or on the "
                                       "“Audit log” page: it freezes and signs the results"),
    "lifecycle.no_results": _l("compute the results (“Results” page, “Compute results”) "
                               "before announcing the finalists"),
    # the voting window, the sample and the codes
    "voting.wrong_phase": _l("voting opens only in the Adjudication phase; '%(slug)s' is in "
                             "'%(state)s'"),
    "voting.no_codes": _l("issue the voting codes (“Households and codes” page, “Issue "
                          "codes…”) before opening the vote"),
    "voting.already_open": _l("voting is already open"),
    "voting.closed": _l("voting is not open"),
    "voting.paper_closed": _l("voting is not open: paper returns are accepted only while the "
                              "voting window is open"),
    "voting.code_not_accepted": _l("this code cannot be used"),
    "ballot.no_choice": _l("choose at least one department"),
    "ballot.too_many": _l("choose at most %(count)s departments"),
    "ballot.repeated": _l("each department can be chosen only once"),
    "ballot.not_on_ballot": _l("that department is not on the ballot"),
    "voting.no_eligible": _l("no eligible departments; mark at least one entry eligible"),
    "sample.drawn": _l("the sample has already been drawn; it cannot be drawn again"),
    "codes.no_sample": _l("draw the sample before issuing codes"),
    "codes.issued": _l("codes have already been issued; for a lost letter use “Lost letter” "
                       "on the “Households and codes” page"),
    # freezes and refused changes (SPEC section 2)
    "frozen.config_published": _l("campaign '%(slug)s' is published; its configuration can "
                                  "no longer change"),
    "frozen.config_settings": _l("voting has opened: %(parts)s of '%(slug)s' are frozen (the "
                                 "window moves only with “Open voting…” and “Close voting…” "
                                 "on the campaign's overview)"),
    "frozen.published": _l("'%(slug)s' is published: its %(what)s are frozen and cannot "
                           "change"),
    "frozen.frame": _l("the sample has been drawn; the frame can no longer be replaced"),
    "frozen.reissue": _l("the vote is over; codes can no longer be reissued"),
    "frozen.scores": _l("'%(slug)s' is published: its scores are frozen and cannot be "
                        "imported"),
    "frozen.results_need_reason": _l("the results of '%(slug)s' are published and frozen; "
                                     "give a reason to compute a corrected version"),
    "frozen.already_published": _l("'%(slug)s' is already published (results version "
                                   "%(version)s); a correction is published as a new version "
                                   "with a reason"),
    # results and publication
    "results.voting_open": _l("close voting before computing results: exact counts while "
                              "voting is open could link ballots to households"),
    "results.no_seed": _l("'%(slug)s' has no seed yet: draw the sample before computing "
                          "results"),
    "results.stale": _l("results version %(version)s was computed from other data: compute "
                        "the results again before publishing"),
    "publication.no_final": _l("results version %(version)s has no final-round result: "
                               "compute the results again once every finalist's final-round "
                               "scorecards are submitted"),
    "publication.wrong_phase": _l("results are published from 'final_judging'; '%(slug)s' is "
                                  "in '%(state)s'"),
    "publication.no_results": _l("'%(slug)s' has no computed results: compute them first"),
    "publication.not_published": _l("'%(slug)s' is not published yet: publish it first (a "
                                    "correction needs a published result to correct)"),
    "publication.reason_needed": _l("give the reason for the corrected version"),
    # the preliminary assignment of judges (awards.judging)
    "assignment.wrong_phase": _l("the preliminary assignment is made in 'Entries closed' or "
                                 "'Adjudication'; '%(slug)s' is in '%(state)s'"),
    "assignment.no_departments": _l("there are no departments to assign"),
    "assignment.no_judges": _l("there are no judges on the panel: no department can be "
                               "covered"),
    "assignment.bad_pin": _l("pinned pairs cannot be assigned (unknown, conflicted or "
                             "forbidden): %(pairs)s"),
    "assignment.too_few_judges": _l("fewer than %(minimum)s judges without a conflict or "
                                    "forbid for %(departments)s: each department needs at "
                                    "least %(minimum)s"),
    "assignment.too_many_pins": _l("too many pinned pairs for departments %(departments)s "
                                   "and judges %(judges)s"),
    "assignment.too_many_judges": _l("%(total)s assignments cannot connect every department "
                                     "and judge: use at most %(usable)s judges"),
    "assignment.judge_blocked": _l("each judge needs at least %(lower)s departments but "
                                   "conflicts and forbids leave fewer for %(judges)s"),
    "assignment.split": _l("conflicts and forbids split the panel: no allowed pair links "
                           "departments %(departments)s and judges %(judges)s to the others"),
    "assignment.infeasible": _l("no assignment meets every rule; these cannot be covered: "
                                "departments %(departments)s; judges %(judges)s"),
    "assignment.unsolved": _l("the assignment solver stopped without an answer; nothing was "
                              "assigned"),
    "assignment.final_uncovered": _l("every judge has a conflict with finalist "
                                     "%(departments)s: nobody can score it in the final "
                                     "round"),
    "assignment.unknown_pair": _l("no such judge or eligible department: %(pairs)s"),
    "assignment.scored_forbidden": _l("%(pairs)s: already has a scorecard; a scored pair "
                                      "cannot be forbidden"),
    # entry attachments (awards.entries.attachments)
    "attachment.empty": _l("the file is empty"),
    "attachment.too_large": _l("the file is %(size)s; the limit is %(limit)s"),
    "attachment.type": _l("only PDF, PNG and JPEG files are accepted, judged by their "
                          "content (not their name); this file is not one of them"),
    "attachment.too_many_pixels": _l("the image has too many pixels (at most %(limit)s "
                                     "million are accepted); reduce its size and upload it "
                                     "again"),
    "attachment.unreadable": _l("the file could not be read as %(kind)s; it may be damaged. "
                                "Save or export it again and upload the new copy"),
    "attachment.encrypted": _l("the PDF is encrypted or protected by a password; upload a "
                               "copy without protection"),
    "attachment.active_content": _l("the PDF contains active content (%(keys)s), which is "
                                    "not accepted: scripts, automatic actions, launched "
                                    "programs, embedded files, rich media or XFA forms. "
                                    "Print or export it to a new PDF and upload that copy"),
    "attachment.timeout": _l("the PDF could not be checked within %(seconds)s seconds; it "
                             "may be damaged or too complex. Export it to a new PDF and "
                             "upload that copy"),
    "attachment.too_complex": _l("the PDF needs too much memory to check; it may be damaged "
                                 "or too complex. Export it to a new PDF and upload that "
                                 "copy"),
    "attachment.not_found": _l("no such attachment"),
    "attachment.no_file": _l("choose a file to upload"),
    "attachment.too_many": _l("an entry has at most %(limit)s attachments; remove one before "
                              "adding another"),
    "attachment.duplicate": _l("this file is already attached, as %(name)s"),
    "attachment.request_too_large": _l("the upload is larger than %(limit)s; nothing was "
                                       "stored"),
    "pack.nothing_eligible": _l("'%(slug)s' has no eligible entry: mark submitted entries "
                                "eligible before printing the judges' pack"),
    # entries (SPEC 5.1)
    "entry.closed": _l("the deadline for entries has passed: the entry can no longer change"),
    "entry.submitted": _l("the entry has been submitted; it can no longer change"),
    "entry.stale": _l("someone else saved this entry meanwhile (by %(by)s); nothing of yours "
                      "was saved yet. Compare both texts below and choose what to keep."),
    "entry.gone": _l("the entry no longer exists; reload the page"),
    "entry.incomplete": _l("the entry is not complete yet; nothing was submitted"),
    "entry.control_character": _l("%(field)s contains a character that is not allowed "
                                  "(%(char)s); nothing was saved"),
    "entry.too_long": _l("%(field)s is too long: %(length)s characters, at most %(limit)s; "
                         "nothing was saved"),
    "entry.too_many_pledges": _l("at most %(limit)s pledge rows; nothing was saved"),
    "entry.reason_needed": _l("give the reason"),
    "entry.reason_too_long": _l("the reason is too long: %(length)s characters, at most "
                                "%(limit)s"),
    "entry.reason_control": _l("the reason contains a character that is not allowed"),
    "entry.not_submitted": _l("%(department)s has no submitted entry"),
    "entry.no_entry": _l("%(department)s has no entry"),
    "entry.return_phase": _l("entries can be returned for amendment only while entries are "
                             "open or just closed"),
    "entry.reopen_needed": _l("entries are closed for %(department)s: give the time until "
                              "which the department may amend and submit the entry again; "
                              "nothing was changed"),
    "frozen.eligibility": _l("voting has opened: the eligibility of %(department)s is "
                             "frozen"),
    "entry.eligibility_phase": _l("eligibility is set once entries have closed; "
                                  "'%(slug)s' is in '%(state)s'"),
    "entry.eligibility_value": _l("choose eligible or ineligible"),
    "entry.extension_phase": _l("a deadline can be extended only while entries are open "
                                "or just closed"),
    "entry.extension_past": _l("the new deadline must be in the future"),
    "entry.grace_range": _l("the grace period must be 0 to %(limit)s minutes"),
    "entry.deadline_phase": _l("the entry deadline can change only before entries close"),
    # the default code of each kind of domain error: in English the service's sentence as
    # it is, in Chinese that sentence under a translated heading
    "lifecycle.refused": lazy_pgettext("lifecycle.refused", "%(detail)s"),
    "frozen.refused": lazy_pgettext("frozen.refused", "%(detail)s"),
    "not_found": lazy_pgettext("not_found", "%(detail)s"),
    "input.invalid": lazy_pgettext("input.invalid", "%(detail)s"),
    "config.invalid": lazy_pgettext("config.invalid", "%(detail)s"),
    "bundle.refused": lazy_pgettext("bundle.refused", "%(detail)s"),
    "letters.refused": lazy_pgettext("letters.refused", "%(detail)s"),
    "signing.key": lazy_pgettext("signing.key", "%(detail)s"),
    "signin.throttled": _l("too many failed sign-ins: wait %(seconds)s seconds"),
    # campaign config files and the set-up pages (SPEC section 8)
    "config.not_toml": lazy_pgettext("config.not_toml", "%(detail)s"),
    "config.not_a_judge": _l("user '%(username)s' is a %(role)s, not a judge"),
    "config.problem": lazy_pgettext("config.problem", "%(detail)s"),
    "config.missing": _l("%(where)s: '%(key)s' is missing"),
    "config.empty_text": _l("%(where)s: '%(key)s' must be non-empty text"),
    "config.too_long": _l("%(where)s: '%(key)s' is %(length)s characters long; at most "
                          "%(limit)s are allowed"),
    "config.control_character": _l("%(where)s: '%(key)s' contains the control character "
                                   "%(char)s"),
    "config.whole_number": _l("%(where)s: '%(key)s' must be a whole number from %(minimum)s "
                              "to %(maximum)s"),
    "config.fraction": _l("%(where)s: '%(key)s' must be a number from 0 to 1"),
    "config.no_departments": _l("at least one department is needed"),
    "config.no_districts": _l("at least one district is needed"),
    "config.too_many_finalists": _l("finalists (%(finalists)s) exceeds the number of "
                                    "departments (%(departments)s)"),
    "config.too_many_choices": _l("choices per household (%(choices)s) exceeds the number "
                                  "of departments (%(departments)s)"),
    "config.too_many_places": _l("award places (%(places)s) exceed the number of finalists "
                                 "(%(finalists)s)"),
    "config.duplicate_code": _l("%(where)s: duplicate code '%(item)s'"),
    "config.bad_code": _l("%(where)s: code '%(item)s' may use only letters, digits, '-' and "
                          "'_' (at most 32)"),
    "config.duplicate_criterion": _l("criteria: duplicate code '%(item)s' in the %(round)s"),
    "config.weights_sum": _l("criteria: the weights of the %(round)s sum to %(total)s, not "
                             "1"),
    "config.bad_slug": _l("the slug '%(slug)s' must be 2 to 63 lower-case letters, digits "
                          "and hyphens"),
    "config.voting_window": _l("the voting window must close after it opens"),
    # reissues, paper returns and the audit bundle
    "reissue.not_issued": _l("codes have not been issued for this household yet"),
    "reissue.unknown_household": _l("no sampled household '%(household)s' in '%(slug)s'"),
    "reissue.used": _l("this household's code has already been used; it cannot be "
                       "reissued"),
    "ballots.used_meanwhile": _l("a code was used while the file was imported; nothing was "
                                 "imported, please run the import again"),
    "bundle.data_changed": _l("the data of '%(slug)s' changed after results version "
                              "%(version)s was published; publish a corrected version with a "
                              "reason"),
    "bundle.not_published": _l("'%(slug)s' is not published: publish it before exporting the "
                               "audit bundle"),
    "setup.no_section": _l("no list '%(section)s' in a campaign's set-up"),
    "setup.no_item": _l("that item is no longer in the list; the list may have changed: "
                        "reload the page"),
    "setup.bad_line": _l("%(what)s: line %(line)s needs 'CODE | English name | 中文名'"),
    "setup.slug_taken": _l("a campaign '%(slug)s' exists already; choose another slug"),
    "setup.other_campaign": _l("this file is for campaign '%(other)s', not '%(slug)s'"),
    "setup.weights_sum": _l("%(round)s: the weights sum to %(total)s, not 1. Nothing was "
                            "changed: give the weights of the round together so that they "
                            "sum to 1"),
    "setup.changed_since": _l("the campaign changed after the preview; check the changes "
                              "again"),
    # invitations (SPEC section 8)
    "invitation.needs_department": _l("a coordinator invitation needs a department"),
    "invitation.unknown_department": _l("no department '%(department)s' in any campaign"),
    "invitation.unknown_judge": _l("no judge '%(username)s' on any campaign's panel"),
    "invitation.link_gone": _l("This invitation link is not valid any more. Ask the award "
                               "secretariat for a new one."),
    # staff accounts and password resets
    "account.unknown": _l("no account '%(username)s'"),
    "account.unknown_role": _l("unknown role '%(role)s'"),
    "account.bad_username": _l("the username must be 2 to 64 lower-case letters, digits, "
                               "'.', '_' or '-'"),
    "account.username_taken": _l("the username '%(username)s' is taken; choose another"),
    "password.too_short": _l("the password must have at least %(minimum)s characters"),
    "reset.own_account": _l("you cannot reset your own sign-in here: it would sign you out "
                            "with no password; ask another organiser"),
    "reset.inactive": _l("'%(username)s' has no active account yet: send an invitation "
                         "instead"),
    "reset.link_gone": _l("This reset link is not valid any more. Ask the award secretariat "
                          "for a new one."),
    # the sample and the vote
    "sample.no_frame": _l("import the household frame first: its digest must be in the "
                          "audit log before a seed is recorded"),
    "sample.size": _l("the sample size must be at least 1"),
    "sample.invalid": lazy_pgettext("sample.invalid", "%(detail)s"),
    "pdf.no_font": lazy_pgettext("pdf.no_font", "%(detail)s"),
    "entry.conflict": lazy_pgettext("entry.conflict", "%(detail)s"),
    "round.refused": lazy_pgettext("round.refused", "%(detail)s"),
    "voting.too_few_departments": _l("voting needs at least %(needed)s competing departments "
                                     "(%(finalists)s finalists + 1); '%(slug)s' has "
                                     "%(count)s"),
    "assignment.conflicted_pin": _l("%(pairs)s: the judge has a conflict with the "
                                    "department; a conflicted pair cannot be pinned"),
    "assignment.bad_rule": _l("unknown rule '%(kind)s': choose pin, forbid or none"),
    "assignment.reason_too_long": _l("the reason for the rule is too long: %(length)s "
                                     "characters, at most %(limit)s"),
    "assignment.preview_stale": _l("the rules or the panel changed since the preview: check "
                                   "the new preview and solve again; nothing was assigned"),
}
MESSAGES |= JUDGING_MESSAGES

# What a submission lacks (awards.entries.services.missing_parts).
MISSING = {
    "missing.title": _l("Title"),
    "missing.summary": _l("Summary"),
    "missing.pledge": _l("At least one performance pledge (service, target and achieved)"),
    "missing.contact_name": _l("Contact name"),
    "missing.contact_email": _l("Contact e-mail"),
    "missing.contact_phone": _l("Contact phone"),
}
FIELDS = {
    "title": _l("Title"),
    "summary": _l("Summary"),
    "contact_name": _l("Contact name"),
    "contact_email": _l("Contact e-mail"),
    "contact_phone": _l("Contact phone"),
}
PLEDGE_PARTS = {"service": _l("service"), "target": _l("target"), "achieved": _l("achieved")}

# Words that services pass as parameters, shown in the reader's language.
WORDS = {
    "ballots": _l("ballots"),
    "scores": _l("scores"),
    "results": _l("results"),
    "frame": _l("frame"),
    "score sheet": _l("score sheet"),
    "paper returns": _l("paper returns"),
}
STATE_PARAMS = ("state", "target", "next", "round")


def describe(exc: AwardsError) -> str:
    """The exception's message in the reader's language (its English sentence when its
    code has no entry here, or a parameter is missing)."""
    try:
        if exc.code == "file.errors":
            return file_errors(**shown_params(exc.params))
        template = MESSAGES.get(exc.code)
        if template is None:
            return str(exc)
        return str(template) % {"detail": str(exc), **shown_params(exc.params)}
    except (KeyError, TypeError, ValueError):
        return str(exc)


def file_errors(count: int, what: str) -> str:
    """The summary line over a file's errors (frame, paper returns, score sheet)."""
    return ngettext("%(count)s error in the %(what)s; nothing was imported",
                    "%(count)s errors in the %(what)s; nothing was imported", count,
                    count=f"{count:,}", what=what)


def shown_params(params: dict[str, Any]) -> dict[str, Any]:
    shown = {}
    chinese = str(get_locale() or "en").startswith("zh")
    for name, value in params.items():
        if chinese and f"{name}_zh" in params:  # a bilingual name (a criterion's)
            value = params[f"{name}_zh"]
        if name in STATE_PARAMS and isinstance(value, str):
            value = label(value)
        elif name == "field" and isinstance(value, str):
            value = field_label(value)
        elif name == "what" and value in WORDS:
            value = str(WORDS[value])
        shown[name] = value
    return shown


def field_label(name: str) -> str:
    """A form field of the entry page named for a person (``pledge-2-target`` → "Pledge
    row 3, target")."""
    if name in FIELDS:
        return str(FIELDS[name])
    if name.startswith("section-"):
        return str(_l("Narrative for %(criterion)s", criterion=name[len("section-"):]))
    parts = name.split("-")
    if len(parts) == 3 and parts[0] == "pledge" and parts[1].isdigit() and parts[2] in PLEDGE_PARTS:
        return str(_l("Pledge row %(row)s, %(part)s", row=int(parts[1]) + 1,
                      part=PLEDGE_PARTS[parts[2]]))
    return name


def missing_part(code: str, params: dict[str, Any], *, chinese: bool = False) -> str:
    """One line of a 422 list: what a submission still lacks."""
    if code == "missing.section":
        name = params.get("name_zh") if chinese else params.get("name_en")
        return str(_l("Narrative for %(criterion)s", criterion=name or params["criterion"]))
    return str(MISSING.get(code, code))

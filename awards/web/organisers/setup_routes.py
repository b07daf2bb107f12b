"""Organiser pages that set a campaign up (SPEC section 8): create it, edit its settings
and lists (departments, districts, criteria, award tiers, judges), download it as TOML and
upload a TOML file with a preview of the changes before they apply.

Views are thin: each builds form values and calls one service of
:mod:`awards.campaigns.editing`, which validates them as the config file is validated and
applies them through the same loader. Lists are edited inline with htmx (the section is
swapped) and with plain forms and links without JavaScript.
"""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from awards.campaigns.config_export import config_data, dump_config
from awards.campaigns.editing import (
    CHOICES,
    EDITED_SECTIONS,
    MULTILINE,
    apply_upload,
    campaign_freeze,
    create_campaign,
    item_fields,
    preview_upload,
    remove_item,
    save_item,
    set_weights,
    setting_fields,
    update_settings,
)
from awards.campaigns.services import rollback_use_case
from awards.exceptions import AwardsError, ConfigLoadError
from awards.web.access import campaign_or_404, roles
from awards.web.forms import EmptyForm
from awards.web.fragments import wants_fragment
from awards.web.messages import describe
from awards.web.organisers import bp

#: Most configs are a few kilobytes. The preview posts the text back in a form field,
#: which stays under the form size the server accepts (500 kB).
MAX_CONFIG_BYTES = 256 * 1024

SECTION_TITLES = {
    "departments": _l("Departments"),
    "districts": _l("Districts"),
    "criteria": _l("Criteria"),
    "awards": _l("Award tiers"),
    "judges": _l("Judges"),
    "categories": _l("Categories"),
    "campaign": _l("Settings"),
}
FIELD_LABELS = {
    "slug": _l("Slug (the campaign's name in addresses and files)"),
    "name_en": _l("Name in English"),
    "name_zh": _l("Name in Chinese"),
    "name": _l("Name"),
    "code": _l("Code"),
    "max_choices": _l("Departments a household may choose"),
    "finalists": _l("Finalists"),
    "public_weight": _l("Weight of the public vote (0 to 1)"),
    "judge_method": _l("How judges' scores are combined"),
    "final_public_weight": _l("Weight of the public vote in the final (0 to 1)"),
    "bootstrap": _l("Bootstrap replicates"),
    "entries_required": _l("Departments compete only with an entry"),
    "voting_opens_at": _l("Voting opens (UTC)"),
    "voting_closes_at": _l("Voting closes (UTC)"),
    "entries_close_at": _l("Entries close (UTC)"),
    "grace_minutes": _l("Grace period after the entries close (minutes)"),
    "households": _l("Households (official census total, optional)"),
    "round": _l("Round"),
    "weight": _l("Weight (the weights of a round sum to 1)"),
    "max": _l("Highest score"),
    "guidance_en": _l("Guidance for judges in English"),
    "guidance_zh": _l("Guidance for judges in Chinese"),
    "anchors_en": _l("Band anchors in English (one per line, e.g. “0-3 rarely met”)"),
    "anchors_zh": _l("Band anchors in Chinese (one per line)"),
    "places": _l("Places"),
    "username": _l("Username"),
    "conflicts": _l("Conflicts of interest set by the organiser"),
    "affiliations": _l("Affiliations (the judge's own department first)"),
}
CHOICE_LABELS = {
    "mean": _l("Mean"), "median": _l("Median"), "trimmed": _l("Trimmed mean"),
    "zscore": _l("Standardised (z-score)"), "additive": _l("Additive judge effects"),
}
FREEZE_REASONS = {
    "published": _l("Frozen: the campaign is published."),
    "voting_opened": _l("Frozen since voting opened (%(when)s)."),
}


def field_label(name: str) -> str:
    return str(FIELD_LABELS.get(name, name))


def section_title(section: str) -> str:
    return str(SECTION_TITLES.get(section, section))


def _posted(kinds: list[tuple[str, str]]) -> dict:
    """The form's values by field: lists for multiple choices, text otherwise."""
    values = {}
    for name, kind in kinds:
        if name in request.form:
            values[name] = (request.form.getlist(name) if kind == "departments"
                            else request.form.get(name, ""))
    return values


def _problems(exc: AwardsError) -> list[str]:
    return [describe(p) for p in exc.details] if isinstance(exc, ConfigLoadError) else []


def _context(campaign, **extra) -> dict:
    freeze = campaign_freeze(campaign)
    context = {
        "campaign": campaign, "data": config_data(campaign), "freeze": freeze,
        "freeze_note": (str(FREEZE_REASONS[freeze.reason]) % {
            "when": freeze.since.strftime("%Y-%m-%d %H:%M UTC") if freeze.since else ""}
            if freeze.reason else ""),
        "settings": setting_fields(), "sections": EDITED_SECTIONS, "item_fields": item_fields,
        "choices": CHOICES, "multiline": MULTILINE, "field_label": field_label,
        "section_title": section_title, "choice_labels": CHOICE_LABELS,
        "form": EmptyForm(), "editing": None, "errors": {}, "values": {}, "weights": {},
        "weights_form": False,
    }
    context.update(extra)
    return context


def _setup_page(campaign, status: int = 200, **extra):
    return render_template("organisers/setup.html", **_context(campaign, **extra)), status


def _section_answer(campaign, section: str, status: int = 200, **extra):
    """The section's fragment for htmx; the whole page otherwise."""
    if wants_fragment():
        template = ("organisers/_setup_settings.html" if section == "campaign"
                    else "organisers/_setup_section.html")
        return render_template(template, section=section,
                               **_context(campaign, **extra)), status
    return _setup_page(campaign, status, **extra)


def _edited(campaign, section: str, result, error: AwardsError | None, **extra):
    """Answer an edit: the refusal in the reader's language (422/409), or the saved state
    (a 303 redirect without JavaScript, the fresh section with it)."""
    if error is not None:
        rollback_use_case()  # nothing half-written; a refused change is audited
        status = 409 if error.status == 409 else 422
        errors = {section: {"message": describe(error), "problems": _problems(error)}}
        return _section_answer(campaign, section, status, errors=errors, **extra)
    message = (_("Saved.") if result.changes else _("Nothing to change."))
    if wants_fragment():
        return _section_answer(campaign, section, saved={section: message})
    flash(message, "success")
    return redirect(url_for(".setup", slug=campaign.slug, _anchor=f"setup-{section}"),
                    code=303)


@bp.route("/c/<slug>/setup")
@roles("organiser")
def setup(slug: str):
    """The campaign's settings and lists; ``?edit=section:index`` opens a row for editing
    (the link htmx swaps in place)."""
    campaign = campaign_or_404(slug)
    editing = None
    if ":" in request.args.get("edit", ""):
        section, _sep, index = request.args["edit"].partition(":")
        if section in EDITED_SECTIONS and index.isdigit():
            editing = (section, int(index))
    return _setup_page(campaign, editing=editing)


@bp.route("/c/<slug>/setup/<section>")
@roles("organiser")
def setup_section(slug: str, section: str):
    """One section (htmx: its fragment, e.g. after "cancel"; otherwise the page)."""
    campaign = campaign_or_404(slug)
    if section not in (*EDITED_SECTIONS, "campaign"):
        abort(404)
    editing = None
    if request.args.get("edit", "").isdigit():
        editing = (section, int(request.args["edit"]))
    return _section_answer(campaign, section, editing=editing)


@bp.route("/c/<slug>/setup/campaign", methods=["POST"])
@roles("organiser")
def setup_settings(slug: str):
    campaign = campaign_or_404(slug)
    if not EmptyForm().validate_on_submit():
        abort(400)
    values = _posted(setting_fields())
    try:
        result = update_settings(campaign, values)
    except AwardsError as exc:
        return _edited(campaign, "campaign", None, exc, values={"campaign": values})
    return _edited(campaign, "campaign", result, None)


@bp.route("/c/<slug>/setup/<section>/add", methods=["POST"])
@bp.route("/c/<slug>/setup/<section>/<int:index>", methods=["POST"])
@roles("organiser")
def setup_item(slug: str, section: str, index: int | None = None):
    campaign = campaign_or_404(slug)
    if section not in EDITED_SECTIONS:
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    values = _posted(item_fields(section))
    weights = _posted_weights("weight-") if section == "criteria" else {}
    try:
        result = save_item(campaign, section, index, values, weights)
    except AwardsError as exc:
        return _edited(campaign, section, None, exc, values={section: values},
                       weights=weights,
                       editing=(section, index) if index is not None else None)
    return _edited(campaign, section, result, None)


def _posted_weights(prefix: str) -> dict[int, str]:
    """The criteria weights a form sent, by the criterion's place in the list
    (``weight-0``, ``weight-1``, …)."""
    weights = {}
    for name, value in request.form.items():
        if name.startswith(prefix) and name[len(prefix):].isdigit():
            weights[int(name[len(prefix):])] = value
    return weights


@bp.route("/c/<slug>/setup/weights", methods=["POST"])
@roles("organiser")
def setup_weights(slug: str):
    """The weights of the criteria, every round's together (one save; each round's weights
    must sum to 1)."""
    campaign = campaign_or_404(slug)
    if not EmptyForm().validate_on_submit():
        abort(400)
    weights = _posted_weights("weight-")
    try:
        result = set_weights(campaign, weights)
    except AwardsError as exc:
        return _edited(campaign, "criteria", None, exc, weights=weights, weights_form=True)
    return _edited(campaign, "criteria", result, None)


@bp.route("/c/<slug>/setup/<section>/<int:index>/delete", methods=["POST"])
@roles("organiser")
def setup_item_delete(slug: str, section: str, index: int):
    campaign = campaign_or_404(slug)
    if section not in EDITED_SECTIONS:
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        result = remove_item(campaign, section, index)
    except AwardsError as exc:
        return _edited(campaign, section, None, exc)
    return _edited(campaign, section, result, None)


@bp.route("/new", methods=["GET", "POST"])
@roles("organiser")
def campaign_new():
    """Create a campaign: slug, names, basic settings, departments and districts."""
    values: dict = {}
    error = None
    if request.method == "POST":
        if not EmptyForm().validate_on_submit():
            abort(400)
        values = _posted([("slug", "text"), *setting_fields()])
        try:
            result = create_campaign(values, request.form.get("departments", ""),
                                     request.form.get("districts", ""))
        except AwardsError as exc:
            rollback_use_case()
            error = exc
        else:
            flash(_("Campaign created. Add its criteria, award tiers and judges next."),
                  "success")
            return redirect(url_for(".setup", slug=result.campaign.slug), code=303)
    return render_template(
        "organisers/campaign_new.html", form=EmptyForm(), values=values,
        departments=request.form.get("departments", ""),
        districts=request.form.get("districts", ""), field_label=field_label,
        message=describe(error) if error else "",
        problems=_problems(error) if error else [],
        invalid_lines=getattr(error, "errors", []) if error else [],
    ), (422 if error else 200)


@bp.route("/c/<slug>/config.toml")
@roles("organiser", "auditor")
def config_download(slug: str):
    """The campaign as its config file (SPEC section 8)."""
    campaign = campaign_or_404(slug)
    return Response(dump_config(campaign), mimetype="application/toml", headers={
        "Content-Disposition": f'attachment; filename="{campaign.slug}.toml"',
        "X-Content-Type-Options": "nosniff",
    })


def _uploaded_text() -> str | None:
    """The config text: the chosen file on the first post, the previewed text after."""
    upload = request.files.get("config_file")
    if upload is not None and upload.filename:
        raw = upload.stream.read(MAX_CONFIG_BYTES + 1)
    else:
        raw = request.form.get("config_text", "").encode("utf-8")
    if not raw.strip() or len(raw) > MAX_CONFIG_BYTES:
        return None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


@bp.route("/config/upload", methods=["GET", "POST"])
@roles("organiser")
def config_upload():
    """Upload a config file: the first post shows what it would change and writes nothing;
    the preview's form (``confirm=yes``, the text, the version previewed) applies it."""
    slug = request.values.get("slug") or None
    campaign = campaign_or_404(slug) if slug else None
    context = {"form": EmptyForm(), "slug": slug, "campaign": campaign,
               "field_label": field_label, "section_title": section_title}
    if request.method == "GET":
        return render_template("organisers/config_upload.html", **context)
    if not EmptyForm().validate_on_submit():
        abort(400)
    text = _uploaded_text()
    if text is None:
        return render_template("organisers/config_upload.html", **context, message=_(
            "Choose a TOML file (UTF-8, at most 256 KB).")), 422
    try:
        if request.form.get("confirm") == "yes":
            result = apply_upload(text, request.form.get("version", ""), slug=slug)
            flash(_("The configuration is loaded: %(n)s changes applied.",
                    n=len(result.changes)) if result.changes else
                  _("Nothing to change: the file matches the campaign."), "success")
            target = result.campaign.slug if result.campaign else slug
            return redirect(url_for(".setup", slug=target), code=303)
        preview = preview_upload(text, slug=slug)
    except AwardsError as exc:
        rollback_use_case()
        retry = None
        if exc.code == "setup.changed_since":
            retry = preview_upload(text, slug=slug)
        return render_template("organisers/config_upload.html", **context,
                               message=describe(exc), problems=_problems(exc),
                               preview=retry, text=text), exc.status if exc.status in (
                                   404, 409) else 422
    return render_template("organisers/config_upload.html", **context, preview=preview,
                           text=text)

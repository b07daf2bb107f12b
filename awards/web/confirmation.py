"""Confirmation pages for irreversible steps (SPEC section 8), shared by the organiser's
pages: the action's first post renders :func:`confirmation_page` and changes nothing; the
page's form posts the same fields again with ``confirm=yes`` (:func:`confirmed`)."""

from __future__ import annotations

from flask import render_template, request

from awards.web.forms import EmptyForm


def confirmed() -> bool:
    """The post comes from a confirmation page's form."""
    return request.form.get("confirm") == "yes"


def confirmation_page(campaign, *, title: str, action: str, button: str, back: str,
                      happens: list[str], freezes: list[str] | None = None,
                      refusals: list[str] | None = None, fields: dict | None = None,
                      allocation: dict | None = None, danger: bool = False):
    """The confirmation page of one step: what will happen, what will be frozen, why it
    cannot be done now (then no button), and a form that posts ``fields`` again with
    ``confirm=yes`` to ``action``."""
    return render_template(
        "organisers/confirm.html", campaign=campaign, title=title, action=action,
        button=button, back=back, happens=happens, freezes=freezes or [],
        refusals=refusals or [], fields=fields or {}, allocation=allocation,
        form=EmptyForm(), danger=danger)

"""The organiser downloads results.json from the results page (SPEC 8: the pages do what
``flask awards results SLUG --json`` does): the same bytes, before publication too."""

from __future__ import annotations

import json

from awards.audit.service import chain_events
from awards.extensions import db


def test_the_download_is_byte_for_byte_what_the_command_prints(scored, signed_in, runner):
    scored.bootstrap = 50
    db.session.commit()
    printed = runner.invoke(args=["awards", "results", scored.slug, "--json"])
    assert printed.exit_code == 0, printed.stderr
    assert scored.state != "published"
    page = signed_in.get(f"/organiser/c/{scored.slug}/results").get_data(as_text=True)
    assert f"/organiser/c/{scored.slug}/results/export.json?version=1" in page
    response = signed_in.post(f"/organiser/c/{scored.slug}/results/export.json?version=1")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Content-Disposition"] == \
        f'attachment; filename="{scored.slug}-results-v1.json"'
    assert response.data == printed.stdout_bytes
    document = json.loads(response.data)
    assert document["spec"] == "awards-scoring/2" and document["finalists"]
    exported = [e for e in chain_events(scored.slug) if e.action == "results_exported"]
    assert exported and '"format":"json"' in exported[-1].data


def test_the_download_needs_a_form_and_a_computed_version(scored, signed_in):
    assert signed_in.client.post(
        f"/organiser/c/{scored.slug}/results/export.json").status_code == 400
    assert signed_in.post(f"/organiser/c/{scored.slug}/results/export.json").status_code \
        == 404

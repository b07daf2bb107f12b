"""The ballot page's answers come from the voting service's one check of the choices."""

from __future__ import annotations

import pytest

from .conftest import CsrfClient
from .voting.conftest import (  # noqa: F401
    config_text,
    letters,
    letters_snapshot,
    open_campaign,
    open_snapshot,
    sampled_campaign,
    sampled_snapshot,
)
from .voting.conftest import stored_ballots


@pytest.mark.parametrize(("choices", "message"), [
    ([], "Please choose at least one department."),
    (["A", "B", "C", "D"], "Please choose no more than 3 departments."),
    (["A", "B", "C", "D", "D"], "Please choose no more than 3 departments."),
    (["A", "A"], "Please choose from the departments listed."),
    (["A", "ZZ"], "Please choose from the departments listed."),
])
def test_refused_choices_are_explained_and_nothing_is_stored(open_campaign, letters, app,
                                                             choices, message):
    client = CsrfClient(app.test_client())
    client.client.environ_base["REMOTE_ADDR"] = "192.0.2.200"
    client.get("/vote")
    assert client.post("/vote", {"code": letters[0].code}).status_code == 303
    response = client.post("/vote/review", {"choice": choices})
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    confirm = client.post("/vote/confirm", {"choice": choices})
    assert confirm.status_code == 303 and confirm.headers["Location"].endswith("/vote/ballot")
    assert stored_ballots() == 0

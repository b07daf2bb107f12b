"""Domain errors carry a code and parameters; the pages translate them in one place
(awards/web/messages.py) and the command line keeps the English sentence."""

from __future__ import annotations

import importlib
import inspect
import io
import pkgutil
import re
from pathlib import Path

import pytest
from flask_babel import force_locale
from sqlalchemy import select

import awards

from awards.audit.service import chain_events
from awards.campaigns.config_file import parse_config
from awards.campaigns.services import ensure_not_published, load_campaign_config
from awards.csvfile import CsvFileError
from awards.exceptions import AwardsError, FrozenError, LifecycleError
from awards.extensions import db
from awards.models import Campaign
from awards.phases import move_phase
from awards.voting.households import draw_campaign_sample, import_frame
from awards.web.access import public
from awards.web.messages import MESSAGES, WORDS, describe

from .conftest import MINIMAL_CONFIG, PASSWORD

FRAME = ("household_id,district,address\n"
         + "".join(f"{d}{i:03d},{d},\"{i} Test Road\"\n" for d in ("KT", "ST", "IS")
                   for i in range(1, 21))).encode()


def chinese(client) -> None:
    client.signin("olivia", PASSWORD)
    client.post("/language", {"lang": "zh_Hant_HK", "next": "/"})


def sampled(campaign: Campaign) -> Campaign:
    import_frame(campaign, io.BytesIO(FRAME))
    for state in ("entries_open", "entries_closed", "adjudication"):
        move_phase(campaign, state)
    draw_campaign_sample(campaign, 30, "a-seed-for-the-messages-test")
    return campaign


def test_a_refused_phase_move_reads_in_chinese_on_the_organiser_page(client, organiser,
                                                                      campaign):
    chinese(client)
    client.post("/organiser/c/csea-test/phase", {"target": "adjudication"})
    html = client.get("/organiser/c/csea-test").get_data(as_text=True)
    assert "無法將「csea-test」由「草擬」移至「初選評審」：下一個階段是「接受參賽」" in html
    assert "the next state is" not in html
    assert db.session.scalar(select(Campaign.state)) == "draft"


def test_the_same_refusal_stays_english_on_an_english_page(client, organiser, campaign):
    client.signin("olivia", PASSWORD)
    client.post("/organiser/c/csea-test/phase", {"target": "adjudication"})
    html = client.get("/organiser/c/csea-test").get_data(as_text=True)
    assert ("cannot move &#39;csea-test&#39; from &#39;Draft&#39; to &#39;Adjudication&#39;: "
            "the next state is &#39;Entries open&#39;") in html


def test_a_frozen_change_reads_in_chinese_and_is_audited(client, organiser, campaign):
    sampled(campaign)
    chinese(client)
    response = client.post("/organiser/c/csea-test/households/frame",
                           {"frame": (io.BytesIO(FRAME), "frame.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 303
    html = client.get("/organiser/c/csea-test/households").get_data(as_text=True)
    assert "樣本已經抽出，抽樣框不可再替換" in html
    assert "the frame can no longer be replaced" not in html
    # The view caught the refusal; the request's end recorded it, once and committed.
    db.session.rollback()
    refused = [e for e in chain_events("csea-test") if e.action == "change_refused"]
    assert len(refused) == 1 and '"change":"frame"' in refused[0].data


@pytest.mark.fresh_app
def test_the_error_module_answers_a_refusal_in_chinese(app, client, organiser, campaign):
    @app.route("/test-frozen")
    @public
    def frozen():
        ensure_not_published(db.session.scalar(select(Campaign)), "ballots")
        return "not refused"

    campaign.state = "published"
    db.session.commit()
    chinese(client)
    response = client.get("/test-frozen")
    assert response.status_code == 409
    assert "「csea-test」已經公布：其選票已經凍結，不可更改" in response.get_data(as_text=True)
    db.session.rollback()
    assert chain_events("csea-test")[-1].action == "change_refused"


def test_the_command_line_prints_the_english_sentence(runner, campaign):
    result = runner.invoke(args=["awards", "phase", "csea-test", "adjudication"])
    assert result.exit_code == 1
    assert result.stderr == ("error: cannot move 'csea-test' from 'draft' to 'adjudication': "
                             "the next state is 'entries_open'\n")


def test_the_command_line_prints_a_frozen_change_in_english(runner, campaign, tmp_path):
    campaign.state = "published"
    db.session.commit()
    path = tmp_path / "campaign.toml"
    path.write_text(MINIMAL_CONFIG, encoding="utf-8")
    result = runner.invoke(args=["awards", "campaign", "load", str(path)])
    assert result.exit_code == 1
    assert result.stderr == ("error: campaign 'csea-test' is published; its configuration "
                             "can no longer change\n")


def test_exceptions_carry_code_and_parameters(campaign):
    try:
        move_phase(campaign, "adjudication")
    except LifecycleError as exc:
        assert exc.code == "lifecycle.skip"
        assert exc.params == {"slug": "csea-test", "state": "draft", "target": "adjudication",
                              "next": "entries_open"}
    campaign.state = "published"
    db.session.commit()
    try:
        load_campaign_config(parse_config(MINIMAL_CONFIG))
    except FrozenError as exc:
        assert exc.code == "frozen.config_published" and exc.params == {"slug": "csea-test"}
        assert exc.refused.change == "config" and exc.refused.chain == "csea-test"


def test_unknown_codes_and_missing_parameters_fall_back_to_english(app):
    with app.test_request_context(), force_locale("zh_Hant_HK"):
        assert describe(AwardsError("plain English")) == "plain English"
        assert describe(AwardsError("no such code", code="nope.nothing")) == "no such code"
        assert describe(LifecycleError("English, params missing",
                                       code="lifecycle.skip")) == "English, params missing"
        assert describe(LifecycleError("voting is not open", code="voting.closed")) == \
            "現在不是投票時間"


def test_file_error_summaries_are_translated_with_their_count(app):
    error = CsvFileError("score sheet", [(2, "bad"), (3, "bad")])
    assert str(error) == "2 errors in the score sheet; nothing was imported"
    with app.test_request_context(), force_locale("zh_Hant_HK"):
        assert describe(error) == "評分表有 2 項錯誤，未有匯入任何資料"
    with app.test_request_context(), force_locale("en"):
        assert describe(error) == str(error)
        assert describe(CsvFileError("frame", [(1, "x")])) == \
            "1 error in the frame; nothing was imported"


def test_every_message_has_its_traditional_chinese(app):
    catalogue = {**MESSAGES, **WORDS}
    with app.test_request_context(), force_locale("en"):
        english = {key: str(text) for key, text in catalogue.items()}
    with app.test_request_context(), force_locale("zh_Hant_HK"):
        untranslated = [key for key, text in catalogue.items() if str(text) == english[key]]
    assert untranslated == []


def test_the_household_vote_refusals_carry_codes_translated_in_one_place(app):
    from awards.voting.ballots import (
        BadChoices,
        CodeNotAccepted,
        NoChoice,
        TooManyChoices,
        VotingClosed,
    )

    refusals = [CodeNotAccepted("this code cannot be used"), VotingClosed("voting is not open"),
                NoChoice("choose at least one department"),
                TooManyChoices("choose at most 3 departments", count=3),
                BadChoices("each department can be chosen only once", code="ballot.repeated"),
                BadChoices("that department is not on the ballot")]
    for exc in refusals:
        assert exc.code in MESSAGES, exc
        with force_locale("en"):
            assert describe(exc) == str(exc)
        with force_locale("zh_Hant_HK"):
            chinese_text = describe(exc)
        assert chinese_text != str(exc) and any("\u4e00" <= ch <= "\u9fff" for ch in chinese_text)


# --- Every domain error and every code has its Chinese (one registry: MESSAGES) ---------

SOURCE = Path(__file__).resolve().parent.parent / "awards"
#: A code argument or class attribute written as a literal: ``code="voting.closed"``.
CODE_LITERAL = re.compile(r'\bcode\s*=\s*"([a-z_]+(?:\.[a-z_]+)+)"')
#: Codes that :func:`describe` words itself rather than from MESSAGES.
WORDED_BY_DESCRIBE = {"file.errors"}


def error_classes() -> set[type]:
    """Every AwardsError subclass defined anywhere in the package (every module imported)."""
    for module in pkgutil.walk_packages(awards.__path__, "awards."):
        importlib.import_module(module.name)
    found, todo = set(), [AwardsError]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub.__module__.startswith("awards.") and sub not in found:
                found.add(sub)
                todo.append(sub)
    return found


def code_required(cls: type) -> bool:
    """Whether every instance names its own code: its constructor requires ``code``, or
    takes none and passes its own (the class's default code is then never shown; the
    codes written in the source are checked instead)."""
    parameter = inspect.signature(cls.__init__).parameters.get("code")
    return parameter is None or parameter.default is inspect.Parameter.empty


def codes_in_the_source() -> dict[str, str]:
    """Each code literal in awards/ with the first file that names it."""
    codes: dict[str, str] = {}
    for path in sorted(SOURCE.rglob("*.py")):
        for code in CODE_LITERAL.findall(path.read_text(encoding="utf-8")):
            codes.setdefault(code, str(path.relative_to(SOURCE.parent)))
    return codes


def test_every_domain_error_and_every_code_has_a_message(app):
    classes = error_classes()
    assert {"LifecycleError", "FrozenError", "InvalidInput", "NotFound", "ConfigLoadError",
            "VotingClosed", "BundleError"} <= {c.__name__ for c in classes}
    wanted = [(c.code, f"class {c.__module__}.{c.__qualname__}") for c in classes
              if not code_required(c)]
    wanted += list(codes_in_the_source().items())
    assert len(wanted) > 40
    missing = sorted(f"{code} ({where})" for code, where in wanted
                     if code not in MESSAGES and code not in WORDED_BY_DESCRIBE)
    assert not missing, ("codes without an entry in MESSAGES (awards/web/messages.py): "
                         + "; ".join(missing))


def test_every_domain_error_reads_in_chinese(app):
    """A domain error raised without a code of its own still reads in Chinese: its class's
    code puts the English detail under a translated heading."""
    for cls in error_classes():
        if cls.code in WORDED_BY_DESCRIBE or code_required(cls):
            continue
        with app.test_request_context(), force_locale("zh_Hant_HK"):
            text = str(MESSAGES[cls.code])
        assert any("\u4e00" <= ch <= "\u9fff" for ch in text), (cls, text)
    with app.test_request_context(), force_locale("zh_Hant_HK"):
        assert describe(LifecycleError("the frame is missing")) == \
            "此步驟現在不能進行：the frame is missing"
    with app.test_request_context(), force_locale("en"):
        assert describe(LifecycleError("the frame is missing")) == "the frame is missing"


# --- In Chinese, a message is Chinese apart from its parameter values --------------------

PARAMETER = re.compile(r"%\((\w+)\)s")
#: A run of English words (letters, apostrophes, hyphens; spaces or commas between words).
ENGLISH_RUN = re.compile(r"[A-Za-z][A-Za-z'’-]*(?:[ ,]+[A-Za-z][A-Za-z'’-]*)*")
#: Names of file formats and characters, written the same in Chinese.
SAME_IN_CHINESE = {"PDF", "PNG", "JPEG", "XFA", "TOML", "NUL"}


def english_left(template) -> list[str]:
    """The English runs of ``template`` rendered in Chinese with every parameter filled by
    a value that is not English (a parameter's value is the reader's data, not wording)."""
    with force_locale("en"):
        names = set(PARAMETER.findall(str(template)))
    with force_locale("zh_Hant_HK"):
        text = str(template)
    names |= set(PARAMETER.findall(text))
    rendered = text % {name: "〇" for name in names}
    return [run for run in ENGLISH_RUN.findall(rendered) if run not in SAME_IN_CHINESE]


def test_every_registered_code_reads_in_chinese_without_english_words(app):
    with app.test_request_context():
        leaks = {code: runs for code, template in MESSAGES.items()
                 if (runs := english_left(template))}
    assert leaks == {}


def test_the_check_finds_english_left_in_a_chinese_message(app):
    from flask_babel import lazy_gettext

    with app.test_request_context():
        assert english_left(lazy_gettext("an English sentence nobody translated")) == [
            "an English sentence nobody translated"]
        assert english_left(lazy_gettext("voting is not open")) == []


def test_pages_never_tell_organisers_to_use_the_command_line(app):
    with app.test_request_context(), force_locale("en"):
        commands = {code: str(text) for code, text in MESSAGES.items()
                    if re.search(r"flask awards|codes reissue|voting open/close", str(text))}
    assert commands == {}


def test_config_problems_have_their_own_codes_in_chinese(app):
    from awards.exceptions import ConfigLoadError

    text = MINIMAL_CONFIG.replace('name_zh = "甲部門"', 'name_zh = ""').replace(
        "finalists = 3", "finalists = 30").replace('code = "B"', 'code = "A"')
    try:
        parse_config(text)
    except ConfigLoadError as exc:
        error = exc
    assert {d.code for d in error.details} >= {"config.empty_text", "config.too_many_finalists",
                                                "config.duplicate_code"}
    with app.test_request_context(), force_locale("zh_Hant_HK"):
        shown = [describe(d) for d in error.details]
    assert "決賽入圍數目（30）超過部門數目（4）" in shown
    assert "[[departments]]：代碼「A」重複" in shown
    # Apart from the parameters (where in the file, the key), no English is left.
    assert all(not english_left(re.sub(r"\[\[departments\]\]|name_zh|「A」", "", line))
               for line in shown), shown
    assert "finalists (30) exceeds the number of departments (4)" in str(error)

"""Code letters: CSV and print-ready PDF (SPEC section 3 "Letters").

The PDF checks use poppler-utils (pdfinfo, pdffonts, pdftotext, pdftoppm) and zbar-tools
(zbarimg). They are required: a missing tool fails the test with the package to install.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from awards import pdffonts
from awards.pdffonts import FontError, find_cjk_font
from awards.voting import letters as letters_module
from awards.voting.codes import CodeTypo, check_symbol, format_code, generate_code
from awards.voting.letters import (
    Letter,
    LetterError,
    vote_url,
    write_letters_csv,
    write_letters_pdf,
)

BASE = "https://awards.example.gov.hk"
CAMPAIGN = {
    "campaign_name_en": "Customer Service Excellence Award 2001-02",
    "campaign_name_zh": "2001-02年度顧客服務卓越獎",
    "vote_url_base": BASE,
    "return_address": "Award Secretariat, Efficiency Unit\n"
                      "13/F, West Wing, Central Government Offices, Central, Hong Kong\n"
                      "香港中環中區政府合署西座13樓 效率促進組",
}
TOOLS = {"pdfinfo": "poppler-utils", "pdffonts": "poppler-utils", "pdftotext": "poppler-utils",
         "pdftoppm": "poppler-utils", "zbarimg": "zbar-tools"}


def run(tool: str, *args: str) -> str:
    if shutil.which(tool) is None:
        pytest.fail(f"{tool} is missing: install the Debian package {TOOLS[tool]}")
    result = subprocess.run([tool, *args], capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"{tool} failed: {result.stderr}"
    return result.stdout


def sample_letters(count: int) -> list[Letter]:
    addresses = [
        "Flat 12, 23/F, Block B, Lok Fu Estate\n198 Junction Road, Kowloon\n九龍聯合道198號樂富邨B座23樓12室",
        None,
        "=HYPERLINK(\"x\") Room 5, 1/F, 觀塘道 100號",
    ]
    return [
        Letter(f"H{k:07d}", "Kwun Tong", "觀塘", generate_code(), addresses[k % 3])
        for k in range(count)
    ]


def make_pdf(path: Path, letters: list[Letter], **extra: object) -> Path:
    with path.open("wb") as out:
        write_letters_pdf(letters, out, **CAMPAIGN, **extra)  # type: ignore[arg-type]
    return path


def page_count(pdf: Path) -> int:
    info = run("pdfinfo", str(pdf))
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def page_text(pdf: Path, page: int) -> str:
    return run("pdftotext", "-f", str(page), "-l", str(page), "-layout", str(pdf), "-")


# --- CSV --------------------------------------------------------------------------------


def test_letters_csv_has_the_spec_header_and_grouped_codes() -> None:
    out = io.StringIO(newline="")
    count = write_letters_csv(
        [("H1", "KT", "0123456789abct", "1 Main St"), ("H2", "IS", "7K2MQ9XD4HTRA8", None)], out
    )
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert count == 2
    assert rows == [
        ["household_id", "district", "code", "address"],
        ["H1", "KT", "0123-4567-89AB-CT", "1 Main St"],
        ["H2", "IS", "7K2M-Q9XD-4HTR-A8", ""],
    ]


@pytest.mark.parametrize("address", ["=1+1", "+852 1234", "-2", "@SUM(A1)", "\tx", "\rx",
                                     ";=1+1", ", @SUM(A1)", "| -2"])
def test_formula_like_cells_are_escaped(address: str) -> None:
    out = io.StringIO(newline="")
    write_letters_csv([("=H1", "KT", "0123456789ABCT", address)], out)
    row = list(csv.reader(io.StringIO(out.getvalue())))[1]
    assert row == ["'=H1", "KT", "0123-4567-89AB-CT", "'" + address]


def test_a_malformed_code_stops_the_csv() -> None:
    with pytest.raises(CodeTypo):
        write_letters_csv([("H1", "KT", "0123456789ABCS", None)], io.StringIO())


# --- QR URL -----------------------------------------------------------------------------


def test_vote_url_carries_the_grouped_code_in_the_fragment() -> None:
    assert vote_url(BASE + "/", "0123456789abct") == f"{BASE}/vote#code=0123-4567-89AB-CT"


# --- PDF --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def three_letters(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Letter]]:
    letters = sample_letters(3)
    pdf = make_pdf(tmp_path_factory.mktemp("letters") / "letters.pdf", letters,
                   vote_by=dt.date(2002, 3, 31))
    return pdf, letters


def test_one_page_per_letter(three_letters: tuple[Path, list[Letter]]) -> None:
    pdf, _ = three_letters
    assert page_count(pdf) == 3


def test_every_font_is_embedded_including_the_chinese_one(
    three_letters: tuple[Path, list[Letter]],
) -> None:
    pdf, _ = three_letters
    assert b"/FontFile2" in pdf.read_bytes()
    table = run("pdffonts", str(pdf)).splitlines()[2:]
    assert table, "no fonts listed"
    cjk_face = TTFont("probe", *find_cjk_font()).face.name.decode()
    assert any(cjk_face in row for row in table)
    for row in table:
        emb = row.split()[-5]
        assert emb == "yes", f"font not embedded: {row}"


def test_qr_code_on_page_one_decodes_to_the_vote_url(
    three_letters: tuple[Path, list[Letter]], tmp_path: Path,
) -> None:
    pdf, letters = three_letters
    run("pdftoppm", "-r", "100", "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page"))
    png = next(tmp_path.glob("page*.png"))
    decoded = run("zbarimg", "-q", "--raw", str(png)).strip()
    assert decoded == f"{BASE}/vote#code={format_code(letters[0].code)}"


def test_page_text_in_both_languages(three_letters: tuple[Path, list[Letter]]) -> None:
    pdf, letters = three_letters
    text = page_text(pdf, 1)
    for expected in (
        CAMPAIGN["campaign_name_en"], CAMPAIGN["campaign_name_zh"], "About the award",
        "關於本獎項", "How to vote online", "網上投票", "Voting on paper", "紙本問卷",
        "Privacy", "私隱聲明", f"{BASE}/vote", format_code(letters[0].code), letters[0].household_id,
        "Flat 12, 23/F, Block B, Lok Fu Estate", "九龍聯合道198號樂富邨B座23樓12室",
        "Kwun Tong", "觀塘", "Efficiency Unit", "31 March 2002", "2002年3月31日",
    ):
        assert expected in text, expected


def test_each_page_carries_its_own_letter(three_letters: tuple[Path, list[Letter]]) -> None:
    pdf, letters = three_letters
    for page, letter in enumerate(letters, start=1):
        text = page_text(pdf, page)
        assert format_code(letter.code) in text and letter.household_id in text
        others = [other for other in letters if other is not letter]
        assert not any(format_code(other.code) in text for other in others)


def test_batches_are_joined_in_order(tmp_path: Path) -> None:
    letters = sample_letters(5)
    progress: list[int] = []
    pdf = tmp_path / "batched.pdf"
    with pdf.open("wb") as out:
        pages = write_letters_pdf(iter(letters), out, progress=progress.append, batch_size=2,
                                  **CAMPAIGN)
    assert pages == 5 and progress == [2, 4, 5]
    assert page_count(pdf) == 5
    for page, letter in enumerate(letters, start=1):
        assert format_code(letter.code) in page_text(pdf, page)
    run("pdftoppm", "-r", "60", "-png", "-f", "5", "-l", "5", str(pdf), str(tmp_path / "last"))
    decoded = run("zbarimg", "-q", "--raw", str(next(tmp_path.glob("last*.png")))).strip()
    assert decoded == vote_url(BASE, letters[4].code)


def test_no_letters_is_an_error() -> None:
    with pytest.raises(LetterError, match="there are no letters to print"):
        write_letters_pdf([], io.BytesIO(), **CAMPAIGN)  # type: ignore[arg-type]


# --- line breaking --------------------------------------------------------------------

mixed_text = st.lists(
    st.sampled_from(["award", "department", "https://awards.example.gov.hk/vote", "2001-02",
                     " ", " ", "顧", "客", "服", "務", "，", "。", "」", "「", "獎"]),
    max_size=80,
).map("".join)


@settings(max_examples=200, deadline=None)
@given(mixed_text, st.floats(min_value=40, max_value=300))
def test_wrapped_lines_fit_keep_every_character_and_respect_punctuation(
    text: str, width: float,
) -> None:
    font = pdffonts.cjk_font()
    lines = letters_module._wrap(text, font, 9.2, width)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    for line in lines:
        assert pdfmetrics.stringWidth(line, font, 9.2) <= width + 1e-6
    for before, line in zip(lines, lines[1:]):
        if line and line[0] in "，。」":  # allowed only if the line above had nothing to give
            assert len(letters_module._TOKEN.findall(before)) <= 1, (before, line)


# --- refusals ---------------------------------------------------------------------------


def test_a_missing_glyph_names_the_household(tmp_path: Path) -> None:
    letter = Letter("H1", "Kwun Tong", "觀塘", generate_code(), "Room \U0001F3E0 5")
    message = "household H1: the letter font has no glyph for \U0001F3E0"
    with pytest.raises(LetterError, match=message):
        make_pdf(tmp_path / "x.pdf", [letter])


def test_an_address_too_long_for_the_window_is_refused(tmp_path: Path) -> None:
    letter = Letter("H1", "Kwun Tong", "觀塘", generate_code(), "\n".join(["Line"] * 12))
    with pytest.raises(LetterError, match="household H1: the address does not fit"):
        make_pdf(tmp_path / "x.pdf", [letter])


def test_a_return_address_too_long_for_the_window_is_refused(tmp_path: Path) -> None:
    with pytest.raises(LetterError, match="return address needs"):
        with (tmp_path / "x.pdf").open("wb") as out:
            write_letters_pdf(sample_letters(1), out, **{**CAMPAIGN, "return_address": "x " * 400})


def test_an_empty_return_address_is_refused() -> None:
    with pytest.raises(LetterError, match="return address for paper questionnaires is required"):
        write_letters_pdf(sample_letters(1), io.BytesIO(), **{**CAMPAIGN, "return_address": " "})


def test_a_campaign_name_too_long_for_the_heading_is_refused() -> None:
    long_name = "Customer Service Excellence Award " * 4
    with pytest.raises(LetterError, match="too long for the letter heading"):
        write_letters_pdf(sample_letters(1), io.BytesIO(),
                          **{**CAMPAIGN, "campaign_name_en": long_name})


def test_a_longer_campaign_name_is_set_smaller_and_still_printed(tmp_path: Path) -> None:
    name = "Civil Service Customer Service Excellence Award 2001-02 (Pilot)"
    pdf = tmp_path / "long.pdf"
    with pdf.open("wb") as out:
        write_letters_pdf(sample_letters(1), out, **{**CAMPAIGN, "campaign_name_en": name})
    assert name in page_text(pdf, 1).replace("\n", " ")


def test_a_malformed_code_is_refused(tmp_path: Path) -> None:
    payload = "0123456789ABC"
    wrong = payload + ("T" if check_symbol(payload) != "T" else "S")
    with pytest.raises(CodeTypo):
        make_pdf(tmp_path / "x.pdf", [Letter("H1", "Kwun Tong", "觀塘", wrong, None)])


# --- font discovery ---------------------------------------------------------------------


def test_the_environment_variable_chooses_the_font(monkeypatch: pytest.MonkeyPatch) -> None:
    path, index = find_cjk_font()
    monkeypatch.setenv("AWARDS_CJK_FONT", f"{path}#{index}")
    assert find_cjk_font() == (path, index)


def test_an_unusable_font_in_the_environment_is_an_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    monkeypatch.setenv("AWARDS_CJK_FONT", str(tmp_path / "missing.ttf"))
    with pytest.raises(FontError, match="cannot use font .*missing.ttf"):
        find_cjk_font()


def test_no_font_at_all_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWARDS_CJK_FONT", raising=False)
    monkeypatch.setattr(pdffonts, "CJK_FONT_CANDIDATES", ())
    with pytest.raises(FontError, match="Install the Debian package fonts-wqy-microhei"):
        find_cjk_font()

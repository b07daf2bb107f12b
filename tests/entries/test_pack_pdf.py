"""The judges' pack (SPEC 5.1): contents, each entry's snapshot with its hash, bilingual
labels, page numbers, and long or Chinese entries laid out across pages."""

from __future__ import annotations

import hashlib
import io
import re
from typing import Any

import pytest
from pypdf import PdfReader

from awards.audit.chain import canonical_json
from awards.entries.pack_pdf import snapshot_sha256, write_pack
from awards.pdffonts import CJK_NO_LINE_START

CRITERIA = [("customer", "Customer focus", "以客為本"),
            ("innovation", "Innovation", "創新"),
            ("staff", "Staff engagement", "員工參與")]


def snapshot(code: str, name_en: str, name_zh: str, title: str, *, paragraphs: int = 2,
             pledges: int = 2, text: str = "We answer calls and letters promptly.",
             summary: str = "A short summary of the year.") -> dict[str, Any]:
    body = "\n\n".join(f"{text} (paragraph {i + 1})" for i in range(paragraphs))
    return {
        "format": "awards-entry/1",
        "campaign": "csea-2026",
        "department": {"code": code, "name_en": name_en, "name_zh": name_zh},
        "category": "overall",
        "title": title,
        "summary": summary,
        "sections": [{"criterion": c, "name_en": en, "name_zh": zh, "body": body}
                     for c, en, zh in CRITERIA],
        "pledges": [{"service": f"Service line {i + 1}: answer calls within 2 minutes",
                     "target": "75%", "achieved": f"{80 + i % 15}%"} for i in range(pledges)],
        "contact": {"name": "Chan Tai Man", "email": "tm.chan@example.gov.hk",
                    "phone": "+852 2123 4567"},
        "attachments": [
            {"filename": f"{code.lower()}-report.pdf", "content_type": "application/pdf",
             "size": 123_456, "sha256": hashlib.sha256(code.encode()).hexdigest()},
            {"filename": "服務數據.png", "content_type": "image/png", "size": 2_345_678,
             "sha256": hashlib.sha256(code.encode() + b"png").hexdigest()},
        ],
        "submitted_at": "2026-10-01T08:00:00Z",
        "grace": code == "FEHD",
    }


LONG_ENGLISH = ("Our contact centre handled more than two million enquiries this year while "
                "cutting the average waiting time by a third, thanks to a redesigned "
                "call-back queue, plain-language letters and a new appointment system that "
                "lets citizens choose a slot online, by phone or at any district office. ")
CHINESE = ("本署於本年度全面檢討市民服務流程，推出網上預約、簡化表格及以淺白語言撰寫的信件，"
           "並在各區辦事處增設自助服務站，令市民平均輪候時間縮短三分之一。同時，我們與社區團體合作，"
           "為長者及少數族裔人士提供上門及多語言支援，確保每一位市民都能便捷地使用公共服務。")


@pytest.fixture(scope="module")
def snapshots() -> list[dict[str, Any]]:
    return [
        snapshot("IRD", "Inland Revenue Department", "稅務局",
                 "Tax returns in ten minutes"),
        snapshot("FEHD", "Food and Environmental Hygiene Department", "食物環境衞生署",
                 "Cleaner markets, faster licences", paragraphs=14, pledges=70,
                 text=LONG_ENGLISH * 3, summary=LONG_ENGLISH * 2),
        snapshot("SWD", "Social Welfare Department", "社會福利署", "以人為本的社區支援服務",
                 paragraphs=6, text=CHINESE * 3, summary=CHINESE),
    ]


@pytest.fixture(scope="module")
def pack(snapshots) -> tuple[int, bytes]:
    out = io.BytesIO()
    pages = write_pack(out, campaign_name_en="Civil Service Excellence Awards 2026",
                       campaign_name_zh="2026 公務員優質服務獎", round_label_en="Preliminary round",
                       round_label_zh="初選", snapshots=snapshots)
    return pages, out.getvalue()


@pytest.fixture(scope="module")
def texts(pack) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pack[1])).pages]


def compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_the_page_count_is_returned_and_exceeds_the_entries(pack, texts, snapshots) -> None:
    pages, data = pack
    assert data.startswith(b"%PDF-")
    assert pages == len(texts) > len(snapshots) + 1
    for number, text in enumerate(texts, start=1):
        assert f"Page {number} of {pages}" in text
        assert f"第{number}頁，共{pages}頁" in compact(text)


def test_the_contents_page_lists_every_entry_with_its_first_page(pack, texts,
                                                                snapshots) -> None:
    contents = compact(texts[0])
    assert "Contents目錄" in contents
    reader = PdfReader(io.BytesIO(pack[1]))
    starts = [reader.get_destination_page_number(item) + 1 for item in reader.outline]
    assert len(starts) == len(snapshots)
    assert starts[0] == 2 and starts == sorted(starts)
    for index, (snap, start) in enumerate(zip(snapshots, starts)):
        department = snap["department"]
        assert compact(snap["title"]) in compact(texts[start - 1])  # the entry is there
        following = (f"{index + 2}{compact(snapshots[index + 1]['department']['name_en'])}"
                     if index + 1 < len(snapshots) else "CivilService")
        row = (f"{index + 1}{compact(department['name_en'])}{department['name_zh']}"
               f"{department['code']}{compact(snap['title'])}{start}{following}")
        assert row in contents


def test_every_snapshot_hash_is_printed_and_is_the_canonical_json_hash(
    texts, snapshots,
) -> None:
    everything = "".join(compact(text) for text in texts)
    for snap in snapshots:
        digest = hashlib.sha256(canonical_json(snap).encode("utf-8")).hexdigest()
        assert snapshot_sha256(snap) == digest
        assert digest in everything
        for attachment in snap["attachments"]:
            assert attachment["sha256"] in everything
            assert attachment["filename"] in everything
    assert "123,456bytes" in everything and "2.2MiB" in everything


def test_chinese_text_is_extractable(texts) -> None:
    everything = "".join(compact(text) for text in texts)
    assert "以人為本的社區支援服務" in everything
    assert compact(CHINESE[:40]) in everything
    assert "社會福利署" in everything and "食物環境衞生署" in everything
    for label in ("Summary摘要", "Performancepledges服務承諾", "Contact聯絡人",
                  "Attachments附件", "1.Customerfocus以客為本"):
        assert label in everything


def test_no_line_starts_with_closing_chinese_punctuation(texts) -> None:
    lines = [line.strip() for text in texts for line in text.splitlines()]
    assert sum(1 for line in lines if line.startswith("本署")) >= 10  # the Chinese entry
    assert [line for line in lines if line[:1] in CJK_NO_LINE_START] == []


def test_a_long_entry_spans_pages_with_its_pledge_header_repeated(texts) -> None:
    long_pages = [text for text in texts if "FEHD ·" in text]
    assert len(long_pages) >= 4
    pledge_pages = [text for text in long_pages if "Service line" in text]
    assert len(pledge_pages) >= 2
    for text in pledge_pages:
        assert "Service 服務" in text and "Achieved 達標情況" in text
    everything = "".join(long_pages)
    for i in (1, 35, 70):
        assert f"Service line {i}:" in everything


def test_a_grace_submission_says_so(texts) -> None:
    assert "grace period" in "".join(text for text in texts if "FEHD ·" in text)
    assert "grace period" not in "".join(text for text in texts if "IRD ·" in text)


def test_text_that_looks_like_markup_is_printed_as_is() -> None:
    snap = snapshot("XX", "A <b>bold</b> & Co", "測試", "Title with <font> & <br/>",
                    summary="<script>alert(1)</script> & 5 < 6")
    snap["pledges"][0]["service"] = "x" * 3000  # one row taller than a page
    out = io.BytesIO()
    pages = write_pack(out, campaign_name_en="C", campaign_name_zh="C", round_label_en="R",
                       round_label_zh="R", snapshots=[snap])
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(out.getvalue())).pages)
    assert pages >= 2
    assert "A <b>bold</b> & Co" in text
    assert "<script>alert(1)</script> & 5 < 6" in text


def test_an_empty_pack_is_one_page() -> None:
    out = io.BytesIO()
    assert write_pack(out, campaign_name_en="C", campaign_name_zh="C", round_label_en="R",
                      round_label_zh="R", snapshots=[]) == 1
    assert "No entries" in PdfReader(io.BytesIO(out.getvalue())).pages[0].extract_text()


def test_an_entry_without_attachments_leaves_no_near_empty_page() -> None:
    snapshots = []
    for code, en, zh in (("BD", "Buildings Department", "屋宇署"),
                         ("HYD", "Highways Department", "路政署")):
        short = snapshot(code, en, zh, f"Serving the public at {en}", paragraphs=1,
                         pledges=3)
        short["attachments"] = []
        snapshots.append(short)
    out = io.BytesIO()
    pages = write_pack(out, campaign_name_en="Award", campaign_name_zh="獎",
                       round_label_en="Preliminary round", round_label_zh="初選",
                       snapshots=snapshots)
    texts = [page.extract_text() for page in PdfReader(io.BytesIO(out.getvalue())).pages]
    assert pages == len(texts) == 3  # the cover with its contents, then one page each
    assert "Attachments附件None沒有" in compact(texts[1])


def test_contents_rows_never_split_across_pages() -> None:
    snapshots = [snapshot(f"D{i:02d}", f"Department number {i} of the government",
                          f"第{i}號部門", f"Entry {i}", paragraphs=1, pledges=1)
                 for i in range(40)]
    out = io.BytesIO()
    write_pack(out, campaign_name_en="Award", campaign_name_zh="獎",
               round_label_en="Preliminary round", round_label_zh="初選",
               snapshots=snapshots)
    texts = [page.extract_text() for page in PdfReader(io.BytesIO(out.getvalue())).pages]
    assert "Contents" in texts[0] and "D00" in texts[0]  # the contents start on the cover
    contents = [text for text in texts if "Title 標題" in text]
    assert len(contents) == 3
    for i in range(40):
        chinese = [n for n, text in enumerate(contents) if f"第{i}號部門 D{i:02d}" in text]
        english = [n for n, text in enumerate(contents) if f"Department number {i} of" in text]
        assert len(chinese) == 1 and chinese == english, i  # one row, on one page

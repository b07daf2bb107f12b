"""Entries for the demo campaign, written through the same services coordinators and
organisers use: most departments submit, one is left as a draft at the deadline, and one
submitted entry is found ineligible, with its reason."""

from __future__ import annotations

import random
from collections.abc import Callable

from awards.entries.drafts import EntryTexts
from awards.entries.services import (
    find_entry,
    preliminary_criteria,
    save_draft,
    set_eligibility,
    submit_entry,
)
from awards.models import Campaign, Department

# Each department's own title and summary, as a coordinator would write them; a third of the
# departments write their entry in Chinese, as many would.
STORIES_EN = {
    "AFCD": ("Country parks for everyone: step-free trails and same-day permits",
             "Four country-park trails rebuilt without steps, and camping and fishing "
             "permits now issued on the spot or online the same day."),
    "BD": ("Building safety made simpler: e-submissions and inspections within a week",
           "Owners can now file minor-works notices online and book a safety inspection "
           "within five working days instead of three weeks."),
    "CAD": ("Licences that take off on time",
            "Pilot and engineer licences renewed in 8 working days instead of 15, with a "
            "tracker that tells applicants where their file is."),
    "CED": ("Red channel, green light: friendlier clearance at the boundary",
            "Shorter queues at Lo Wu and Lok Ma Chau, duty-free allowances explained in "
            "six languages and a complaints answer within 7 days."),
    "DSD": ("No more flooded streets: blocked drains cleared within 24 hours",
            "A single hotline and an app photo report for blocked drains; 96% were cleared "
            "within a day, even during the rainy season."),
    "EMSD": ("Lifts that keep running, and people who know why they stop",
             "Real-time lift and escalator outage notices for public buildings, and "
             "repairs started within 2 hours of a report."),
    "EPD": ("Recycling made easy at the end of the street",
            "Collection points in every district open seven days a week, with a hotline "
            "that answers where each kind of waste can go."),
    "FSD": ("Every second counts: ambulances that arrive sooner",
            "Better dispatching and 12 new ambulance depots brought 93% of emergency calls "
            "within the 12-minute target, and 50,000 people learned first aid."),
    "HKP": ("Your parcel, your time: evening pick-up and live tracking",
            "iPostal stations in 120 estates let residents collect parcels until midnight, "
            "and every local parcel can be tracked by text message."),
    "HKPF": ("Answering every 999 call quickly and in your language",
             "Interpreters on call for 14 languages and a report-room queue that never "
             "keeps victims of crime waiting for more than 20 minutes."),
    "IMMD": ("Smart identity cards in one visit",
             "Appointments online, no queues at the nine registration offices, and the new "
             "card ready on the day for 99.8% of applicants."),
    "IRD": ("Tax made clearer: plain-language notices and a callback service",
            "Assessment notices rewritten in plain English and Chinese, and a callback "
            "within one working day when the enquiry line is busy."),
    "LAD": ("Legal aid decided sooner, explained better",
            "Means tests finished within 3 months for 95% of applicants, with a named "
            "officer who phones each applicant about what happens next."),
    "LANDSD": ("Answers on government land in days, not months",
               "Short-term tenancy and licence applications answered within 28 days, and "
               "illegal occupation complaints visited within a week."),
    "LR": ("Land searches anytime, anywhere",
           "Online searches of the land register around the clock, and copies of "
           "documents delivered within one working day."),
    "REO": ("Making sure every voter can vote",
            "Step-free polling stations, large-print and braille ballot guides, and "
            "registration checks by text message."),
    "RVD": ("Rates and rents explained before you have to ask",
            "Demand notes with a plain explanation of each figure, and rate objections "
            "answered within 3 months."),
    "TD": ("Driving licences renewed in 15 minutes",
           "Online booking, a self-service photo booth and paperless renewals at four "
           "licensing offices."),
    "WSD": ("Water you can trust, reconnected within 12 hours",
            "Main bursts repaired faster with new leak detectors, and customers told by "
            "text message when their supply will be back."),
    "CSD": ("Family visits with dignity",
            "A booking system for visits to every correctional institution and waiting "
            "rooms redesigned with families and children in mind."),
}
STORIES_ZH = {
    "DH": ("疫苗接種不用等：網上預約、短訊提醒及即日接種",
           "全港母嬰健康院推出網上預約及短訊提醒，九成半市民在預約時間十五分鐘內完成接種。"),
    "FEHD": ("街市更潔淨，投訴一天內回覆",
             "環境衞生投訴在一個工作天內處理，街市設施翻新後，市民滿意度由六成升至八成半。"),
    "HAD": ("每區一站式服務：民政諮詢中心與緊急援助",
            "十八區民政諮詢中心延長服務時間，颱風及暴雨期間臨時庇護中心在兩小時內開放。"),
    "HD": ("維修一次做好：公屋全面維修計劃",
           "公屋住戶報修後七日內完成維修，首次維修即解決問題的比率達九成二。"),
    "LCSD": ("康體設施即時預訂，圖書館延長開放",
             "康體設施網上即時確認預訂，公共圖書館在晚上及公眾假期延長開放時間。"),
    "LD": ("求職與勞資糾紛，一次到位",
           "就業中心提供一站式求職配對，勞資糾紛在首次會面後三十日內調解完成的比率達八成。"),
    "SWD": ("長者及家庭服務，一個電話找到支援",
            "綜合家庭服務中心熱線二十四小時接聽，申請長者社區照顧服務的輪候時間縮短三成。"),
    "HYD": ("道路維修快而準，市民報告即時跟進",
            "路面坑洞在接報後二十四小時內修補，行人路及天橋無障礙設施全面檢查完成。"),
}
# Pledge rows in the style of Hong Kong departments' published performance pledges.
PLEDGES = {
    "IMMD": [("Issue a smart identity card on the appointment day", "99%", "99.8%"),
             ("Clear a visitor at the control point within 15 minutes", "98%", "99.5%"),
             ("Process a passport application within 10 working days", "95%", "97%")],
    "HKPF": [("Answer a 999 call within 9 seconds", "90%", "93%"),
             ("Reach an urban emergency within 9 minutes", "90%", "91%")],
    "TD": [("Renew a driving licence over the counter within 30 minutes", "90%", "92%"),
           ("Answer 75% of calls within 2 minutes", "75%", "86%")],
    "IRD": [("Issue a salaries tax assessment within 3 months of the return", "95%", "98%"),
            ("Answer 75% of calls within 2 minutes", "75%", "81%")],
    "HKP": [("Deliver local letters on the next working day", "98%", "98.9%"),
            ("Serve a counter customer within 15 minutes", "95%", "97%")],
    "WSD": [("Restore supply after a main burst within 12 hours", "95%", "96%"),
            ("Reply to a written enquiry within 10 working days", "99%", "99.6%")],
    "FSD": [("Reach a building fire in a built-up area within 6 minutes", "92.5%", "94%"),
            ("Reach an emergency ambulance call within 12 minutes", "92.5%", "93%")],
    "FEHD": [("在一個工作天內處理環境衞生投訴", "95%", "96%"),
             ("在二十四小時內清理市民舉報的垃圾黑點", "90%", "94%")],
    "LCSD": [("即場確認康體設施預訂", "100%", "100%"),
             ("公共圖書館按公布時間開放", "99.5%", "99.9%")],
    "DH": [("在預約時間十五分鐘內完成接種", "90%", "95%"),
           ("在兩分鐘內接聽七成半來電", "75%", "82%")],
}
GENERIC = [("Answer 75% of calls within 2 minutes", "75%", "86%"),
           ("Reply to a written enquiry within 10 working days", "95%", "97%"),
           ("Serve a counter customer within 20 minutes", "90%", "93%")]
GENERIC_ZH = [("在兩分鐘內接聽七成半來電", "75%", "84%"),
              ("在十個工作天內回覆書面查詢", "95%", "97%"),
              ("在二十分鐘內為櫃位顧客提供服務", "90%", "92%")]
# Narratives: a few ways of saying each thing, picked per department.
SECTIONS = {
    "pledges": [
        "In 2025-26 the {name} published {n} performance pledges and met {met} of them. "
        "Results are posted monthly at every service counter and online.",
        "Of our {n} pledges, {met} were met in every quarter of 2025-26; where one was "
        "missed we said so on our website within a month, with the reason.",
        "We review our {n} pledges with our customer liaison group each year; in 2025-26 "
        "{met} were met, and two targets were raised after last year's results.",
    ],
    "courtesy": [
        "Every front-line officer of the {name} completed a two-day course in courteous "
        "service and plain language; mystery-shopper visits rated courtesy {score} out of 5.",
        "Counter staff now wear name badges in both languages, and an independent survey "
        "of {people:,} customers rated our courtesy {score} out of 5.",
        "Compliments rose to {people:,} this year. We answered every complaint within 10 "
        "working days and apologised in writing whenever we were at fault.",
    ],
    "access": [
        "Services of the {name} are available at extended counter hours, by phone and "
        "online in English and Chinese, with step-free access at every office.",
        "Most of our forms can now be filed online; the rest are posted free of charge, "
        "and every office has a hearing loop and a counter at wheelchair height.",
        "Our hotline answers in Cantonese, English and Putonghua, and interpreters for "
        "ethnic-minority languages can be booked at no cost.",
    ],
    "improve": [
        "A customer liaison group meets quarterly; {ideas} suggestions from the public "
        "were adopted this year, including shorter forms and text-message reminders.",
        "We mapped each step a customer takes and removed {ideas} of them, mostly copies "
        "of documents we already held.",
        "Front-line staff proposed {ideas} improvements through our suggestion scheme; the "
        "best three are now used at every office.",
    ],
}
SECTIONS_ZH = {
    "pledges": [
        "{name}在 2025-26 年度公布 {n} 項服務承諾，達到其中 {met} 項，並每月在各服務櫃位及網上公布結果。",
        "{n} 項服務承諾之中，{met} 項在 2025-26 年度每季均能達標；未能達標的項目會在一個月內於網站說明原因。",
    ],
    "courtesy": [
        "{name}所有前線人員均已完成兩日的禮貌服務及淺白語言培訓，神秘顧客評估的禮貌評分為 {score} 分（滿分 5 分）。",
        "獨立機構訪問了 {people:,} 名顧客，他們對職員禮貌的評分為 {score} 分（滿分 5 分）。",
    ],
    "access": [
        "{name}延長櫃位服務時間，市民亦可透過電話及網上以中英文辦理服務，所有辦事處均設無障礙通道。",
        "大部分表格已可網上遞交，所有辦事處均設有助聽系統及輪椅使用者櫃位。",
    ],
    "improve": [
        "顧客聯絡小組每季開會，本年度採納了市民提出的 {ideas} 項建議，包括簡化表格及短訊提醒。",
        "前線同事透過建議計劃提出 {ideas} 項改善措施，其中三項已在所有辦事處推行。",
    ],
}
INELIGIBLE_REASON = ("The pledge figures cover 2019-20, outside the award period 2025-26; "
                     "the department may enter again next year.")


def entry_texts_for(department: Department, codes: list[str], rng: random.Random) -> EntryTexts:
    """A realistic entry for ``department``: its own title and summary (in Chinese for the
    departments in :data:`STORIES_ZH`), narratives picked from a few variants, its pledges."""
    chinese = department.code in STORIES_ZH
    if chinese:
        title, summary = STORIES_ZH[department.code]
    else:
        title, summary = STORIES_EN.get(department.code, (
            f"Better service at the {department.name_en}",
            f"What the {department.name_en} changed for the public in 2025-26."))
    pledges = PLEDGES.get(department.code, GENERIC_ZH if chinese else GENERIC)
    met = len(pledges) - (1 if rng.random() < 0.3 else 0)
    facts = {"name": department.name_zh if chinese else department.name_en,
             "n": len(pledges), "met": met, "score": f"{rng.uniform(3.9, 4.7):.1f}",
             "people": rng.randint(800, 6000), "ideas": rng.randint(6, 21)}
    pool = SECTIONS_ZH if chinese else SECTIONS
    sections = {code: rng.choice(pool[code]).format(**facts) if code in pool
                else f"Work on {code}." for code in codes}
    return EntryTexts(
        title=title, summary=summary, sections=sections, pledges=list(pledges),
        contact_name=(f"{department.name_zh}顧客服務經理" if chinese
                      else f"Customer Service Manager, {department.code}"),
        contact_email=f"csm@{department.code.lower()}.gov.hk",
        contact_phone=f"2{rng.randint(100, 999)} {rng.randint(1000, 9999)}")


def write_demo_entries(campaign: Campaign, rng: random.Random,
                       progress: Callable[[str], None] = print) -> tuple[str, str]:
    """Every department but the last submits an entry; the last stays a draft. Call in
    ``entries_open``. Returns the codes of the draft and of the entry to find ineligible."""
    departments = list(campaign.departments)
    codes = [c.code for c in preliminary_criteria(campaign)]
    progress(f"writing {len(departments)} demo entries ...")
    for department in departments:
        actor = f"coord-{department.code.lower()}"
        save_draft(campaign, department, entry_texts_for(department, codes, rng), 0,
                   actor=actor)
        if department is not departments[-1]:
            submit_entry(campaign, department, actor=actor)
    return departments[-1].code, departments[-2].code


def judge_demo_eligibility(campaign: Campaign, ineligible: str) -> None:
    """Call in ``entries_closed``: every submitted entry is eligible except ``ineligible``,
    which is found ineligible with its reason (one audit event per entry)."""
    submitted = [d for d in campaign.departments
                 if (entry := find_entry(campaign, d)) is not None and entry.status == "submitted"]
    set_eligibility(campaign, [d for d in submitted if d.code != ineligible], "eligible", "",
                    actor="organiser")
    set_eligibility(campaign, [d for d in submitted if d.code == ineligible], "ineligible",
                    INELIGIBLE_REASON, actor="organiser")

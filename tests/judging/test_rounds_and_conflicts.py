

def test_demo_scores_go_through_real_scorecards(judging):
    from awards.results.demo_scores import DRAFT_EVERY, score_on_tablets

    rows = [("preliminary", judge, code, criterion, 5 + i % 3)
            for i, (judge, code) in enumerate([("j02", "D"), ("j03", "B"), ("j01", "D")]
                                              + [(f"j0{k}", "C") for k in (1, 2, 3)] * 0)
            for criterion in ("pledges", "courtesy")]
    rows += [("preliminary", "j02", code, c, 6) for code in ("A", "B", "C")
             for c in ("pledges", "courtesy")]
    submitted, drafts = score_on_tablets(judging, rows)
    assert (submitted, drafts) == (6 - 6 // DRAFT_EVERY, 6 // DRAFT_EVERY)
    revisions = db.session.scalars(select(ScorecardRevision)).all()
    assert len(revisions) == 6 and {r.device for r in revisions} == {"demo-tablet"}
    assert db.session.scalar(select(Assignment).where(Assignment.source == "demo")) is not None

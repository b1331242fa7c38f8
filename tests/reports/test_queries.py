"""Every figure of the 2025 report against a hand count of the ``town`` fixture (conftest.py).

No HTTP here: the statistics are pure functions over the database.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from portal import clock
from portal.reports import queries
from tests.reports.conftest import YEAR, inbox_lights

TODAY = clock.today()


def test_active_agreements_and_value(town):
    counts = queries.agreement_counts(YEAR)

    # A1, A2 and A3 have ethical requirements (A5 has none).
    assert counts.with_requirements == 3
    # A1 (2023–2026), A2 (from 1.3.2025), A3 (ends 30.6.2025: still active in 2025), A5.
    # A4 ended 31.12.2024.
    assert counts.active == 4
    # A1 1 000 000 + A3 500 000 + A5 300 000; A2 has no value.
    assert counts.total_value == Decimal("1800000.00")
    assert counts.with_value == 3
    assert counts.without_value == 1


def test_4a2_counts_each_supplier_once(town):
    follow = queries.follow_up(YEAR, TODAY)

    # S1 (A1 on 10.4 and A2 on 1.9: one supplier), S2 (A3 on 15.8, after A3 ended but in the
    # year it was active), S5 (31.12.2025). Not: S3 (A4 not active), S4 (31.12.2024 only),
    # S6 (1.1.2026 only).
    assert follow.suppliers == 3
    # A1, A2, A3, A5.
    assert follow.agreements == 4
    # The four activities above; the one on A4 is not counted.
    assert follow.activities == 4
    assert follow.activities_not_counted == 1
    # New (entered in 2025): A2 with S1. Older: A1 (S1), A3 (S2), A5 (S5).
    assert follow.new_agreements == 1
    assert follow.older_agreements == 3
    assert follow.suppliers_on_new == 1
    assert follow.suppliers_on_older == 3


def test_4a2_by_agreement(town):
    rows = {row.reference: row for row in queries.follow_up(YEAR, TODAY).by_agreement}

    assert sorted(rows) == ["LK-A1", "LK-A2", "LK-A3", "LK-A5"]
    # A1 has S1 and S4 on it; only S1 was followed up in 2025 (S4's activity is 31.12.2024).
    assert (rows["LK-A1"].suppliers_on_agreement, rows["LK-A1"].suppliers_followed_up) == (2, 1)
    assert rows["LK-A1"].activities == 1
    assert rows["LK-A2"].is_new is True
    assert rows["LK-A1"].is_new is False
    # A5: S5 on 31.12.2025 counts, S6 on 1.1.2026 does not.
    assert (rows["LK-A5"].suppliers_on_agreement, rows["LK-A5"].suppliers_followed_up) == (2, 1)
    assert rows["LK-A3"].end_date == date(2025, 6, 30)


def test_4a2_by_method(town):
    methods = {m.kind: (m.activities, m.suppliers) for m in queries.follow_up(YEAR, TODAY).by_method}

    # One of each; the site audit was on A4 (not active) and is not a 2025 method.
    assert methods == {
        "questionnaire_reviewed": (1, 1),
        "status_meeting": (1, 1),
        "document_review": (1, 1),
        "spot_check": (1, 1),
    }


def test_funnel_of_the_year(town):
    funnel = queries.funnel(YEAR, TODAY)

    # Six responses in the 2025 round.
    assert funnel.invited == 6
    # Ever submitted: two accepted, S4's submitted one, S2's returned one.
    assert funnel.submitted == 4
    assert funnel.accepted == 2
    # Not started (S5) and in progress (S6), deadline 1.5.2025 passed.
    assert funnel.not_answered == 2
    assert dict(funnel.by_status) == {"not_started": 1, "in_progress": 1, "submitted": 1,
                                      "returned": 1, "resubmitted": 0, "accepted": 2}


def test_other_years_see_the_boundary_activities(town):
    # S4's activity on 31.12.2024 counts in 2024; S6's on 1.1.2026 in 2026 (A5 runs on).
    assert queries.follow_up(2024, TODAY).suppliers == 1
    assert queries.follow_up(2026, TODAY).suppliers == 1


def test_4a3_deviations_of_the_year(town):
    found = queries.deviations(YEAR)

    # d1 (WAGES, S1), d2 (WAGES, S2), d3 (P-DOC, S6). Not: the withdrawn CHILD, the proposed
    # FORCED, the OHS one from December 2024.
    assert found.found is True
    assert found.detected.count == 3
    assert {row.type for row in found.detected.rows} == {"WAGES", "P-DOC"}
    # d1 and d2: same type, tier, country and measures (in another order), and statuses with
    # the same EHN text (IN_PROGRESS and VERIFYING: "Under utbedring").
    groups = {(g.type, g.ehn_status): g for g in found.detected.groups}
    assert groups[("WAGES", "being_remedied")].count == 2
    assert groups[("WAGES", "being_remedied")].measures == ("CAP", "DIALOGUE")
    assert groups[("P-DOC", "not_started")].count == 1
    assert len(found.detected.groups) == 2
    # The unconfirmed one is reported apart, not counted.
    assert found.proposed == 1


def test_4a3_earlier_deviations_still_open(town):
    earlier = queries.deviations(YEAR).earlier_open

    # The OHS one from 15.12.2024 (still open) and the HOURS one closed on 1.2.2025.
    # Not: the CHILD one closed on 1.10.2024.
    assert earlier.count == 2
    assert sorted(row.type for row in earlier.rows) == ["HOURS", "OHS"]


def test_4a3_rows_never_carry_a_site(town):
    row = queries.deviations(YEAR).detected.rows[0]

    assert not hasattr(row, "site")
    assert not hasattr(row, "supplier_id")


def test_no_deviations_in_a_year_without_any(town):
    found = queries.deviations(2022)

    assert found.found is False
    assert found.detected.count == 0
    # The CHILD deviation of 2023 was not detected yet in 2022.
    assert found.earlier_open.count == 0


def test_2a2_rows(town):
    rows = queries.requirements(YEAR)

    # Active in 2025 with at least one flag: A1, A2, A3 (A5 has none, A4 is not active).
    assert [(r.reference, r.suppliers, r.qualification_requirement, r.award_criterion,
             r.contract_condition) for r in rows] == [
        ("LK-A1", 2, True, False, True),
        ("LK-A2", 1, False, False, True),
        ("LK-A3", 1, True, True, True),
    ]


def test_2a3_priority_risks_in_order(town):
    risks = queries.priority_risks()

    assert [r.impact_nb for r in risks] == ["Tvangsarbeid i solcelleproduksjon", "Dyrevelferd"]
    assert risks[0].themes == ("FORCED", "FOA")


def test_traffic_lights_by_category(town):
    lights = {t.category: (t.green, t.yellow, t.red, t.none)
              for t in queries.traffic_lights(YEAR, TODAY)}

    # Workwear (A1): S1 accepted, not fully assessed; its open deviations on A1 were not found
    # through the response, so they do not colour it (none); S4 with a "partly" verdict
    # (yellow). Food (A2): S1 accepted, "meets" on every question (green). ICT (A3): S2
    # "does not meet" on the gate question B1 (red). Building (A5): S5 not answered and not
    # assessed (none); S6 not assessed either: its overdue P-DOC deviation is a tag of its
    # own in the inbox, not its light (none).
    assert lights == {"workwear": (0, 1, 0, 1), "food": (1, 0, 0, 0), "ict": (0, 0, 1, 0),
                      "building": (0, 0, 0, 2)}


def test_the_lights_are_the_inbox_lights(town):
    assert {t.category: (t.green, t.yellow, t.red, t.none)
            for t in queries.traffic_lights(YEAR, TODAY)} == inbox_lights(YEAR, TODAY)


def test_green_needs_a_verdict_on_every_question_not_acceptance(town, db, make):
    from tests.reports.conftest import add_full_review, add_response, add_verdict

    ict = town.a3  # S2's response on it is red; these are S3's, in three states
    whole = add_response(db, town.round_2025, ict, town.s3, "submitted")
    add_full_review(db, whole)  # every question "meets", not yet accepted: green
    simplified = make.agreement(suppliers=[town.s3], dfo_category="office",
                                     questionnaire_variant="simplified")
    short = add_response(db, town.round_2025, simplified, town.s3, "submitted")
    add_full_review(db, short)  # the simplified questions are enough
    partial = add_response(db, town.round_2025, simplified, town.s4, "accepted")
    add_verdict(db, partial, "B1", "meets")  # accepted with one verdict: not assessed
    add_verdict(db, partial, "A1", "na")
    db.session.commit()

    lights = {t.category: (t.green, t.yellow, t.red, t.none)
              for t in queries.traffic_lights(YEAR, TODAY)}
    assert lights["ict"] == (1, 0, 1, 0)
    assert lights["office"] == (1, 0, 0, 1)
    assert lights == inbox_lights(YEAR, TODAY)


def test_social_dialogue_questions_are_needed_only_where_the_agreement_has_them(town, db, make):
    from tests.reports.conftest import add_full_review, add_response

    with_h = make.agreement(suppliers=[town.s3], dfo_category="toys_sports",
                                 social_dialogue_required=True)
    response = add_response(db, town.round_2025, with_h, town.s3, "submitted")
    add_full_review(db, response)
    h_verdicts = [r for r in response_reviews(db, response) if r.question_id.startswith("H")]
    assert h_verdicts, "the shipped questionnaire's section H has scored questions"
    db.session.delete(h_verdicts[0])
    db.session.commit()
    assert lights_of(YEAR)["toys_sports"] == (0, 0, 0, 1)

    add_full_review(db, add_response(db, town.round_2025, with_h, town.s4, "submitted"))
    db.session.commit()
    assert lights_of(YEAR)["toys_sports"] == (1, 0, 0, 1)
    assert lights_of(YEAR) == inbox_lights(YEAR, TODAY)


def test_a_deviation_found_through_the_response_colours_it(town, db):
    # Closed as remedied, but after its deadline: red in the review's roll-up.
    from tests.reports.conftest import add_deviation

    add_deviation(db, town.s5, town.a5, status="CLOSED_OK", detected_date=date(2023, 2, 1),
                  deadline=date(2023, 3, 1), closed_date=date(2023, 6, 1),
                  response_id=town.response(town.s5, town.a5).id)
    db.session.commit()

    lights = {t.category: (t.green, t.yellow, t.red, t.none)
              for t in queries.traffic_lights(YEAR, TODAY)}
    assert lights["building"] == (0, 0, 1, 1)  # S6's deviation was not found through it


def test_deviation_colours_agree_with_the_review_rollup(town, db):
    from sqlalchemy import case, select

    from portal.models import Deviation
    from portal.review import rollup
    from tests.reports.conftest import add_deviation

    today = date(2026, 6, 1)
    cases = []
    for status in ("REGISTERED", "IN_PROGRESS", "ESCALATED", "CLOSED_OK", "CLOSED_NOT_OK"):
        for deadline in (None, date(2026, 1, 1), date(2026, 12, 1)):
            for closed in (None, date(2026, 3, 1)) if status.startswith("CLOSED") else (None,):
                cases.append(add_deviation(db, town.s1, None, status=status, deadline=deadline,
                                           closed_date=closed, detected_date=date(2020, 1, 1)))
    red, yellow = queries._deviation_colours(today)
    colours = dict(db.session.execute(
        select(Deviation.id, case((red, "red"), (yellow, "yellow"), else_="green"))
        .where(Deviation.id.in_([d.id for d in cases]))
    ).all())

    for d in cases:
        expected = rollup.deviation_light(rollup.DeviationFacts(d.status, d.deadline, d.closed_date),
                                          today)
        assert colours[d.id] == expected, (d.status, d.deadline, d.closed_date)


def test_available_years(town):
    years = queries.available_years(TODAY)

    # A4 starts in 2021; open-ended agreements run to the current year; the activity on
    # 1.1.2026 and the deviations of 2023 fall inside that range.
    assert years == tuple(range(2021, max(TODAY.year, 2026) + 1))
    assert queries.latest_year(TODAY) == years[-1]


def test_no_years_without_data(db):
    assert queries.available_years(TODAY) == ()
    assert queries.latest_year(TODAY) is None


def test_five_years(town):
    rows = {y.year: y for y in queries.five_years(YEAR, queries.available_years(TODAY))}

    assert sorted(rows) == [2021, 2022, 2023, 2024, 2025]
    # A4 from 2021; A3 from 2022; A1 from 2023; A5 from mid-2024; 2025 as above.
    assert [rows[y].active_agreements for y in sorted(rows)] == [1, 2, 3, 4, 4]
    # 2024: S4 on A1 on 31.12.2024.
    assert (rows[2024].suppliers_followed_up, rows[2024].agreements_with_follow_up) == (1, 1)
    assert (rows[2025].suppliers_followed_up, rows[2025].agreements_with_follow_up) == (3, 4)
    # CHILD 2023; OHS and HOURS 2024; three in 2025.
    assert [rows[y].deviations for y in sorted(rows)] == [0, 0, 1, 2, 3]
    assert rows[2024].responses_in("accepted") == 1
    assert rows[2025].invited == 6


def test_staff_by_job_title(town):
    staff = {s.job_title: (s.people, s.activities) for s in queries.follow_up_staff(YEAR)}

    # The contract manager recorded A3's review and the 31.12 spot check (A4's audit is on an
    # agreement not active in 2025: it is not in 4.A.2, so not here either); the fagansvarlig
    # A1's questionnaire and A2's meeting. The same activities as 4.A.2's methods.
    assert staff == {"Kontraktsforvalter": (1, 2),
                     "Seniorrådgiver – fagansvarlig etisk handel": (1, 2)}


def test_consistency_warnings(town):
    report = queries.year_report(YEAR, TODAY)

    codes = {w.code: w.numbers for w in report.warnings}
    # 3 suppliers < 4 agreements, and every one of those agreements has a supplier.
    assert codes["suppliers_below_agreements"] == {"suppliers": 3, "agreements": 4}
    assert codes["proposed_unconfirmed"] == {"proposed": 1}
    assert codes["activities_not_counted"] == {"activities": 1}
    # S5 did not answer and has no P-DOC deviation; S6 has one.
    assert codes["unanswered_without_pdoc"] == {"responses": 1}
    # 2025 has deviations, so "none found" cannot be wrong.
    assert "none_found_but_open" not in codes


def test_none_found_while_earlier_ones_are_open_is_flagged(town, db):
    # Nothing was detected in 2026, but four earlier deviations are still open: the three of
    # 2025 and the OHS one of December 2024.
    report = queries.year_report(2026, TODAY)

    assert report.deviations.found is False
    assert {w.code: w.numbers for w in report.warnings}["none_found_but_open"] == {"open": 4}


def test_row_limit_reads_only_the_first_rows(town):
    found = queries.deviations(YEAR, row_limit=2)

    assert [row.detected_date for row in found.detected.rows] == [date(2025, 2, 10), date(2025, 5, 10)]
    assert found.detected.has_every_row is False
    assert found.detected.count == 3  # counts and groups still cover everything
    assert sum(g.count for g in found.detected.groups) == 3
    assert found.earlier_open.has_every_row is True


def test_4a2_by_dfo_category(town):
    rows = {c.category: (c.agreements, c.suppliers, c.activities)
            for c in queries.follow_up(YEAR, TODAY).by_category}

    # Workwear: A1 (S1); food: A2 (S1 again); ICT: A3 (S2); building: A5 (S5).
    assert rows == {"workwear": (1, 1, 1), "food": (1, 1, 1), "ict": (1, 1, 1),
                    "building": (1, 1, 1)}


def test_2a2_summary_by_kind_and_requirements(town):
    rows = [(r.kind, r.qualification_requirement, r.award_criterion, r.contract_condition,
             r.agreements, r.suppliers) for r in queries.requirement_summary(YEAR)]

    # Contract A3 (all three, S2); frameworks A1 (qualification + condition, S1 and S4) and
    # A2 (condition only, S1).
    assert rows == [
        ("contract", True, True, True, 1, 1),
        ("framework", True, False, True, 1, 2),
        ("framework", False, False, True, 1, 1),
    ]


def test_counts_without_grouping(town):
    found = queries.deviations(YEAR, row_limit=0, with_groups=False)

    # The page's default view: counts by type and tier only, no groups, no rows.
    assert found.detected.groups == ()
    assert found.detected.rows == ()
    assert found.detected.count == 3
    assert found.detected.by_type_tier == (("P-DOC", "T0", 1), ("WAGES", "T1", 2))
    assert found.detected.count_by("type") == (("WAGES", 2), ("P-DOC", 1))
    assert found.earlier_open.count == 2


def test_grouped_and_ungrouped_counts_agree(town):
    grouped = queries.deviations(YEAR).detected
    counted = queries.deviations(YEAR, with_groups=False).detected

    assert grouped.by_type_tier == counted.by_type_tier
    assert grouped.count == counted.count


def test_a_group_limit_keeps_the_largest_groups_and_counts_them_all(town):
    every = queries.deviations(YEAR).detected
    first = queries.deviations(YEAR, group_limit=1).detected

    assert [(g.type, g.count) for g in every.groups] == [("WAGES", 2), ("P-DOC", 1)]
    assert first.groups == every.groups[:1]
    assert first.group_count == every.group_count == 2
    assert first.by_type_tier == every.by_type_tier
    assert first.count == every.count == 3


def test_summaries_keep_the_most_used_measures(town):
    summary = queries.deviations(YEAR).detected.summary

    wages = next(s for s in summary if s.type == "WAGES")
    # Both WAGES rows used CAP and DIALOGUE, at final production in Bangladesh.
    assert (wages.tier, wages.count, wages.countries) == ("T1", 2, ("BD",))
    assert wages.measures == ("CAP", "DIALOGUE")
    assert wages.statuses == (("being_remedied", 2),)
    by_type = {s.type: s for s in queries.deviations(YEAR).detected.type_summary}
    assert by_type["WAGES"].tiers == (("T1", 2),)


def test_each_questionnaire_version_has_its_own_critical_questions(town, db):
    # A second 2025 round with a small questionnaire whose only question, A1, is optional.
    # "Does not meet" on A1 is red on the shipped questionnaire, where A1 is required, but
    # only yellow in the small one.
    from portal.models import QuestionnaireVersion
    from portal.questionnaires.definition import parse_definition
    from tests.reports.conftest import add_response, add_round, add_verdict
    from tests.rounds.conftest import definition_text

    source = definition_text().replace("simplified: true\n        required: true\n",
                                       "simplified: true\n")
    definition = parse_definition(source, "small.yaml")
    assert not definition.question("A1").required
    small = QuestionnaireVersion(key=definition.id, version=definition.version, title_nb="Lite",
                                 title_en="Small", content=definition.source,
                                 content_hash=definition.content_hash, filename="small.yaml")
    db.session.add(small)
    extra = add_round(db, small, YEAR, date(2025, 5, 1))
    food = town.a2
    add_verdict(db, add_response(db, extra, food, town.s1, "accepted"), "A1", "not_met")
    add_verdict(db, add_response(db, town.round_2025, food, town.s4, "submitted"), "A1",
                "not_met")
    db.session.commit()

    lights = lights_of(YEAR)
    # The first round's S1 green, the small round's yellow, the shipped A1 red.
    assert lights["food"] == (1, 1, 1, 0)
    assert lights["ict"] == (0, 0, 1, 0)  # B1 on the shipped questionnaire is still red
    assert lights == inbox_lights(YEAR, TODAY)


def lights_of(year):
    return {t.category: (t.green, t.yellow, t.red, t.none)
            for t in queries.traffic_lights(year, TODAY)}


def response_reviews(db, response):
    from portal.models import QuestionReview

    return db.session.query(QuestionReview).filter_by(response_id=response.id).all()

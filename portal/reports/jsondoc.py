"""The report for other systems: ``/reports/<year>.json`` (schema ``aktsom.report/1``).

Keys are stable English identifiers; records carry codes, and ``labels`` maps every
code to its label in the requested language (once, not on every row). Numbers are JSON numbers, dates ISO 8601 strings. No supplier names
and no production sites. Add fields freely; renaming or removing one needs a new
schema version.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from portal.reports import labels, texts
from portal.reports.queries import (
    DeviationSet,
    YearReport,
)

SCHEMA = "aktsom.report/1"


def _money(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def _set(s: DeviationSet) -> dict[str, Any]:
    return {
        "count": s.count,
        "by_type_and_tier": [{"type": t, "tier": r, "count": n} for t, r, n in s.by_type_tier],
        # Each row's fields are the document's (see DeviationRow); orjson writes them.
        "rows": s.rows,
    }


def _labels(report: YearReport) -> dict[str, dict[str, str]]:
    """Every code the document can use, with its label in the document's language."""
    L = labels.current()
    found = report.deviations
    countries = {row.country for s in (found.detected, found.earlier_open)
                 for row in s.rows if row.country}
    return {
        "deviation_types": dict(L.types),
        "tiers": dict(L.tiers),
        "measures": dict(L.measure_names),
        "ehn_statuses": dict(L.ehn_statuses),
        "deviation_statuses": dict(L.deviation_statuses),
        "severities": dict(L.severities),
        "countries": {code: L.country(code) for code in sorted(countries)},
        "activity_kinds": dict(L.activity_kinds),
        "procurement_kinds": dict(L.procurement_kinds),
        "dfo_categories": dict(L.categories),
        "themes": dict(L.theme_names),
        "response_statuses": dict(L.response_statuses),
    }


def document(report: YearReport, locale: str, municipality: str) -> dict[str, Any]:
    """Call under ``force_locale(locale)``."""
    L = labels.current()
    f = report.follow_up
    found = report.deviations
    text, is_saved = texts.text_4a1(report)
    return {
        "schema": SCHEMA,
        "year": report.year,
        "language": locale,
        "municipality": municipality,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "status_as_of": report.today.isoformat(),
        # The basis of every status: "year_end" (31.12 of a past year, the default) or "today".
        "as_of": {"date": report.today.isoformat(),
                  "basis": "today" if report.as_of is None else "year_end"},
        "key_figures": {
            "active_agreements": report.agreements.active,
            "agreements_with_follow_up": f.agreements,
            "total_estimated_value_nok": _money(report.agreements.total_value),
            "agreements_with_value": report.agreements.with_value,
            "agreements_without_value": report.agreements.without_value,
            "agreements_with_requirements": report.agreements.with_requirements,
        },
        "text_4a1": {"text": text, "is_saved": is_saved},
        "follow_up_4a2": {
            "suppliers": f.suppliers,
            "agreements": f.agreements,
            "activities": f.activities,
            "new_agreements": f.new_agreements,
            "older_agreements": f.older_agreements,
            "suppliers_on_new_agreements": f.suppliers_on_new,
            "suppliers_on_older_agreements": f.suppliers_on_older,
            "by_agreement": [
                {
                    "reference": a.reference,
                    "name": L.localized(a.name_nb, a.name_en),
                    "kind": a.kind,
                    "dfo_category": a.dfo_category,
                    "start_date": a.start_date.isoformat(),
                    "end_date": a.end_date.isoformat() if a.end_date else None,
                    "is_new": a.is_new,
                    "suppliers_on_agreement": a.suppliers_on_agreement,
                    "suppliers_followed_up": a.suppliers_followed_up,
                    "activities": a.activities,
                    **({"led_by": a.lead} if a.lead else {}),
                }
                for a in f.by_agreement
            ],
            "by_dfo_category": [
                {"dfo_category": c.category, "agreements": c.agreements, "suppliers": c.suppliers,
                 "activities": c.activities}
                for c in f.by_category
            ],
            "by_method": [
                {"kind": m.kind, "activities": m.activities, "suppliers": m.suppliers,
                 **({"led_by": m.lead, "label": L.method(m.kind, m.lead)} if m.lead else {}),
                 **({"source_buyer": m.source, "label": L.method(m.kind, source=m.source)}
                    if m.source else {})}
                for m in f.by_method
            ],
            # Of the figures above, those from joint follow-up led by another buyer.
            "joint_follow_up": {
                "suppliers": f.joint_suppliers,
                "agreements": f.joint_agreements,
                "activities": f.joint_activities,
                "deviations_4a3": found.joint_detected,
            },
            "questionnaires": {
                "invited": f.funnel.invited,
                "submitted": f.funnel.submitted,
                "accepted": f.funnel.accepted,
                "not_answered": f.funnel.not_answered,
                "by_status": dict(f.funnel.by_status),
            },
        },
        "deviations_4a3": {
            "found": found.found,
            "answer": texts.deviations_answer(report),
            "none_sentence": None if found.found else texts.no_deviations_sentence(),
            **_set(found.detected),
            "earlier_open": _set(found.earlier_open),
        },
        "requirements_2a2": [
            {
                "reference": q.reference,
                "name": L.localized(q.name_nb, q.name_en),
                "kind": q.kind,
                "dfo_category": q.dfo_category,
                "suppliers": q.suppliers,
                "qualification_requirement": q.qualification_requirement,
                "award_criterion": q.award_criterion,
                "contract_condition": q.contract_condition,
                **({"led_by": q.lead} if q.lead else {}),
            }
            for q in report.requirements
        ],
        "priority_risks_2a3": [
            {
                "impact": L.localized(k.impact_nb, k.impact_en),
                "themes": list(k.themes),
                "geography": k.geography,
            }
            for k in report.risks
        ],
        "traffic_lights": [
            {"dfo_category": t.category, "green": t.green, "yellow": t.yellow, "red": t.red,
             "none": t.none}
            for t in report.traffic_lights
        ],
        "labels": _labels(report),
        "warnings": [
            {"code": w.code, "numbers": dict(w.numbers), "message": texts.warning_message(w)}
            for w in report.warnings
        ],
    }

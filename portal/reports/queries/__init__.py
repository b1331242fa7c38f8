"""The annual report's figures (DOMAIN 7) as pure query functions.

Every function takes a year (and ``today`` where the answer depends on it), runs a
fixed number of SQL statements with the counting done by the database (GROUP BY,
COUNT DISTINCT, EXISTS), and returns frozen dataclasses holding codes, never
translated labels: the presentation layer (``labels``, the templates and the
exporters) turns codes into words in the reader's language.

Definitions (DOMAIN 7.2):

* an agreement is *active in Y* when it started on or before 31.12.Y and had not
  ended before 1.1.Y;
* 4.A.2 counts distinct suppliers (by id; the organisation number is unique) with
  at least one follow-up activity dated in Y on an agreement active in Y;
* 4.A.3 lists deviations detected in Y that are confirmed (not proposed) and not
  withdrawn; the production site is never read.

Joint agreements (DOMAIN 0b): a participant's report reads, through portal/tenancy.py, the
joint agreements it takes part in with their activities and deviations, so they count in its
figures like its own; the queries mark what comes from another buyer's (the lead's) follow-up,
so the report can say which figures are joint follow-up and who led it.

One module per part of the report: ``base`` (building blocks, years), ``followup`` (key
figures and 4.A.2), ``deviations`` (4.A.3), ``requirements`` (2.A.2 and 2.A.3), ``lights``
(traffic lights), ``history`` (five years, 4.A.1's data), ``checks`` (DOMAIN 7.4); this
module puts them together in ``year_report`` and names everything, so callers import
``portal.reports.queries`` only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import current_app

from portal.reports.queries.base import (  # noqa: F401
    EHN_REPRESENTATIVE,
    EHN_STATUS_KEY,
    EHN_STATUS_ORDER,
    EVER_SUBMITTED,
    FIVE_YEARS,
    LIGHT_KEYS,
    REPORT_TEXT_4A1,
    RESPONSE_STATUS_ORDER,
    TRAFFIC_LIGHTS,
    UNANSWERED,
    _as_date,
    _counted_activity,
    _counted_deviation,
    _dated_in,
    _end_of,
    _joint,
    _leads,
    _own_buyer,
    _qualifying_activities,
    _run,
    _year_of,
    active_in,
    available_years,
    deviation_status_at,
    first_day,
    last_day,
    latest_year,
    report_basis,
    response_status_at,
)
from portal.reports.queries.checks import (  # noqa: F401
    DETECTION_ACTIVITY,
    ReportWarning,
    consistency_warnings,
    more_warnings,
    not_counted_activity_in,
    outside_agreement_in,
    unanswered_without_pdoc,
    unanswered_without_pdoc_in,
    unreviewed_in,
    without_method_activity_in,
)
from portal.reports.queries.deviations import (  # noqa: F401
    SUMMARY_MEASURES,
    DeviationGroup,
    DeviationRow,
    Deviations,
    DeviationSet,
    DeviationSummary,
    DeviationTypeSummary,
    _detected_in,
    _deviation_set,
    _earlier_open_in,
    _measures,
    _most_used,
    _summarise,
    _summarise_types,
    deviations,
    proposed_in,
)
from portal.reports.queries.followup import (  # noqa: F401
    JOINT_METHOD,
    AgreementCounts,
    AgreementFollowUp,
    CategoryFollowUp,
    FollowUp,
    Funnel,
    MethodCount,
    _has_requirements,
    _supplier_count,
    agreement_counts,
    follow_up,
    funnel,
)
from portal.reports.queries.history import (  # noqa: F401
    SavedText,
    StaffRole,
    YearFigures,
    five_years,
    follow_up_staff,
    saved_text,
)
from portal.reports.queries.lights import (  # noqa: F401
    SQL,
    TrafficLights,
    _assessed_needed,
    _deviation_colours,
    _flag,
    _kind_of_response,
    _Shown,
    _shown_questions,
    _ShownQuestions,
    _Sql,
    _verdict_on,
    traffic_lights,
)
from portal.reports.queries.requirements import (  # noqa: F401
    RequirementRow,
    RequirementSummary,
    RiskRow,
    priority_risks,
    requirement_summary,
    requirements,
)

# The whole report


@dataclass(frozen=True)
class YearReport:
    year: int
    #: The day the statuses are taken on and "overdue" is judged: today, or 31.12 of a past
    #: year (``as_of``).
    today: date
    years: tuple[int, ...]
    agreements: AgreementCounts
    follow_up: FollowUp
    deviations: Deviations
    requirements: tuple[RequirementRow, ...]
    requirement_summary: tuple[RequirementSummary, ...]
    risks: tuple[RiskRow, ...]
    traffic_lights: tuple[TrafficLights, ...]
    five_years: tuple[YearFigures, ...]
    staff: tuple[StaffRole, ...]
    saved_4a1: SavedText | None
    warnings: tuple[ReportWarning, ...]
    #: The day the report is as of, when it is not today (``report_basis``).
    as_of: date | None = None


@dataclass(frozen=True)
class ReportRequest:
    """What one format of the report shows, so ``year_report`` reads only that.

    ``limit`` caps the long lists (deviation rows, agreements with follow-up, 2.A.2
    rows) for the page and the PDF; counts always cover everything. ``groups``
    groups equal 4.A.3 rows (``earlier_groups`` those of earlier years; default: the
    same), keeping the ``group_limit`` largest (the page; the PDF's summaries need every
    group); ``summaries`` adds the condensed 2.A.2 table of the PDF; ``categories`` the
    4.A.2 counts by DFØ category; ``five`` the last five years side by side.
    """

    limit: int | None = None
    groups: bool = True
    earlier_groups: bool | None = None
    group_limit: int | None = None
    summaries: bool = False
    categories: bool = True
    five: bool = True

    @classmethod
    def page(cls, limit: int, grouped: bool) -> ReportRequest:
        return cls(limit=limit, groups=grouped, group_limit=limit, categories=False)

    @classmethod
    def pdf(cls, limit: int) -> ReportRequest:
        """Condensed tables of at most ``limit`` rows, no five years."""
        return cls(limit=limit, summaries=True, five=False)

    @classmethod
    def csv(cls, table: str) -> ReportRequest:
        return cls(groups=table == "4a3_grouped", earlier_groups=False, categories=False,
                   five=table == "five_years")


#: Everything, every row (the default; the hand-count tests and the benchmark).
FULL = ReportRequest()
#: The JSON document: one year with its rows and DFØ categories; groups are derivable.
JSON = ReportRequest(groups=False, earlier_groups=False, categories=True, five=False)
#: The workbook: every row, this year's groups and the last five years.
XLSX = ReportRequest(groups=True, earlier_groups=False, categories=False, five=True)
#: Only the counts and warnings (the warning's records page).
WARNINGS = ReportRequest(limit=0, groups=False, categories=False, five=False)


def year_report(year: int, today: date, years: tuple[int, ...] | None = None,
                want: ReportRequest = FULL, *, unreviewed_days: int | None = None,
                as_of: date | None = None) -> YearReport:
    """Everything ``want`` asks of the report for a year, in a fixed number of statements.

    ``as_of`` (``report_basis``) takes statuses on that day and judges "overdue" on it;
    None: today. Activities and deviations withdrawn since stay out: a withdrawal corrects
    a record made in error, so it applies to every year (the published version keeps what
    was published, and lists the corrections made after it).
    """
    years = available_years(today) if years is None else years
    if as_of is not None:
        today = as_of
    leads = _leads()  # once for 4.A.2 and 2.A.2
    follow = follow_up(year, today, limit=want.limit, categories=want.categories, as_of=as_of,
                       leads=leads)
    found = deviations(year, row_limit=want.limit, with_groups=want.groups,
                       earlier_groups=want.earlier_groups, group_limit=want.group_limit,
                       as_of=as_of)
    saved = saved_text(year)
    return YearReport(
        year=year,
        today=today,
        years=years,
        agreements=agreement_counts(year),
        follow_up=follow,
        deviations=found,
        requirements=requirements(year, limit=want.limit, leads=leads),
        requirement_summary=requirement_summary(year) if want.summaries else (),
        risks=priority_risks(),
        traffic_lights=traffic_lights(year, today, as_of),
        five_years=five_years(
            year, years, {year: (follow.suppliers, follow.agreements, follow.activities)}
        ) if want.five else (),
        # Only the generated draft names the staff; a saved text replaces it.
        staff=follow_up_staff(year) if saved is None else (),
        saved_4a1=saved,
        warnings=consistency_warnings(follow, found, unanswered_without_pdoc(year, today, as_of))
        + more_warnings(year, today, unreviewed_days if unreviewed_days is not None
                        else int(current_app.config["REPORT_UNREVIEWED_DAYS"])),
        as_of=as_of,
    )

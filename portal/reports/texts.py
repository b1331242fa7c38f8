"""The report's sentences: the 4.A.1 draft, the 4.A.3 standard sentence, the warnings.

Everything is built in the current language (call under ``force_locale`` for
another one). Staff are described by job title or role, never by name or e-mail.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import ngettext

from portal.reports import labels
from portal.reports.queries import ReportWarning, YearReport


def no_deviations_sentence() -> str:
    """The seed's standard answer when 4.A.3 has no rows."""
    return _("No deviations were found in the reporting year.")


def deviations_answer(report: YearReport) -> str:
    """The yes/no answer to 4.A.3, derived from whether the year has rows."""
    return labels.current().yes_no(report.deviations.found)


def warning_message(warning: ReportWarning) -> str:
    number = labels.current().number
    n = {key: number(value) for key, value in warning.numbers.items()}
    count = warning.numbers  # ngettext formats %(num)s itself, from the plain number
    if warning.code == "suppliers_below_agreements":
        return _(
            "4.A.2 counts %(suppliers)s suppliers, fewer than the %(agreements)s agreements with "
            "follow-up, although every one of those agreements has a supplier. This happens when one "
            "supplier is followed up on several agreements. Make sure the report gives the number of "
            "suppliers in 4.A.2 and the number of agreements in the key information.",
            suppliers=n["suppliers"], agreements=n["agreements"],
        )
    if warning.code == "none_found_but_open":
        return ngettext(
            "4.A.3 will say that no deviations were found in the year, but %(num)s deviation from an "
            "earlier year was still open in it. Report it in the separate group of earlier deviations.",
            "4.A.3 will say that no deviations were found in the year, but %(num)s deviations from "
            "earlier years were still open in it. Report them in the separate group of earlier "
            "deviations.",
            count["open"],
        )
    if warning.code == "proposed_unconfirmed":
        return ngettext(
            "%(num)s proposed deviation detected in the year has not been confirmed or discarded. "
            "It is not counted in 4.A.3 until a reviewer confirms it.",
            "%(num)s proposed deviations detected in the year have not been confirmed or discarded. "
            "They are not counted in 4.A.3 until a reviewer confirms them.",
            count["proposed"],
        )
    if warning.code == "activities_not_counted":
        return ngettext(
            "%(num)s follow-up activity dated in the year is on an agreement that was not active in "
            "the year, so it does not count in 4.A.2. Check the agreement's dates.",
            "%(num)s follow-up activities dated in the year are on agreements that were not active "
            "in the year, so they do not count in 4.A.2. Check the agreements' dates.",
            count["activities"],
        )
    if warning.code == "unanswered_without_pdoc":
        return ngettext(
            "%(num)s questionnaire of the year was not answered by its deadline, and the supplier has "
            "no deviation of the type \"Failure to answer or document by the deadline\".",
            "%(num)s questionnaires of the year were not answered by their deadline, and the "
            "suppliers have no deviation of the type \"Failure to answer or document by the "
            "deadline\".",
            count["responses"],
        )
    if warning.code == "joint_follow_up":
        return _(
            "Joint follow-up led by other buyers is counted in this report: %(suppliers)s of the "
            "suppliers in 4.A.2, %(agreements)s of the agreements with follow-up and "
            "%(activities)s follow-up activities come from joint agreements you take part in, and "
            "so do %(deviations)s of the deviations in 4.A.3. Say so in the report.",
            suppliers=n["suppliers"], agreements=n["agreements"], activities=n["activities"],
            deviations=n["deviations"],
        )
    if warning.code == "activity_outside_agreement":
        return ngettext(
            "%(num)s follow-up activity of the year is dated outside its agreement's period "
            "(before it started or after it ended). Check the date of the activity or of the "
            "agreement.",
            "%(num)s follow-up activities of the year are dated outside their agreement's period "
            "(before it started or after it ended). Check the dates of the activities or of the "
            "agreements.",
            count["activities"],
        )
    if warning.code == "unreviewed_submissions":
        return ngettext(
            "%(num)s questionnaire of the year has waited more than %(days)s days for review.",
            "%(num)s questionnaires of the year have waited more than %(days)s days for review.",
            count["responses"], days=n["days"],
        )
    if warning.code == "deviation_without_activity":
        return ngettext(
            "%(num)s deviation of the year was found by a method (a questionnaire, an audit, a "
            "meeting, a document review or a spot check) for which the supplier has no follow-up "
            "activity in the year. Record the activity, or correct how the deviation was found.",
            "%(num)s deviations of the year were found by methods (a questionnaire, an audit, a "
            "meeting, a document review or a spot check) for which the suppliers have no "
            "follow-up activity in the year. Record the activities, or correct how the "
            "deviations were found.",
            count["deviations"],
        )
    return warning.code


def _who(report: YearReport) -> str:
    parts = []
    for staff in report.staff:
        title = staff.job_title or _role(staff.role)
        parts.append(ngettext("%(title)s (%(num)s person)", "%(title)s (%(num)s people)",
                              staff.people, title=title))
    return "; ".join(parts)


def _role(role: str) -> str:
    return _("administrator") if role == "admin" else _("reviewer")


def draft_4a1(report: YearReport) -> str:
    """A starting point for 4.A.1, written from the year's data; reviewers edit it."""
    names = labels.current()
    n = names.number
    year = report.year
    follow = report.follow_up
    funnel = follow.funnel
    paragraphs = []

    # One set of activities throughout: the buyer's own qualifying ones (4.A.2's own rows).
    own = [m for m in follow.by_method if m.lead is None]
    own_total = sum(m.activities for m in own)
    who = _who(report)
    if own_total and who:
        paragraphs.append(ngettext(
            "In %(year)s, %(num)s follow-up activity of our own was recorded in Aktsom, by: %(who)s.",
            "In %(year)s, %(num)s follow-up activities of our own were recorded in Aktsom, by: %(who)s.",
            own_total, year=year, who=who,
        ))
        unnamed = own_total - sum(s.activities for s in report.staff)
        if unnamed > 0:
            paragraphs.append(ngettext(
                "%(num)s of them was recorded by someone who no longer has a staff account.",
                "%(num)s of them were recorded by people who no longer have a staff account.",
                unnamed,
            ))
    elif own_total:
        paragraphs.append(ngettext(
            "In %(year)s, %(num)s follow-up activity of our own was recorded in Aktsom.",
            "In %(year)s, %(num)s follow-up activities of our own were recorded in Aktsom.",
            own_total, year=year,
        ))
    else:
        paragraphs.append(_("No follow-up activities of our own were recorded in %(year)s.", year=year))

    if own:
        methods = "; ".join(f"{names.method(m.kind, m.lead, m.source)} ({n(m.activities)})" for m in own)
        paragraphs.append(_(
            "Our own follow-up in %(year)s by method, with the number of times: %(methods)s.",
            year=year, methods=methods,
        ))

    if funnel.invited:
        paragraphs.append(_(
            "Follow-up round %(year)s: questionnaires sent to suppliers: %(sent)s; answered and "
            "submitted: %(received)s; reviewed and accepted: %(reviewed)s; not answered by the "
            "deadline: %(missing)s.",
            year=year, sent=n(funnel.invited), received=n(funnel.submitted),
            reviewed=n(funnel.accepted), missing=n(funnel.not_answered),
        ))

    paragraphs.append(_(
        "Suppliers followed up in %(year)s (4.A.2): %(suppliers)s. Agreements with contract "
        "follow-up: %(agreements)s. Deviations identified in %(year)s (4.A.3): %(deviations)s.",
        year=year, suppliers=n(follow.suppliers), agreements=n(follow.agreements),
        deviations=n(report.deviations.detected.count),
    ))

    leads = sorted({m.lead for m in follow.by_method if m.lead})
    if leads:
        paragraphs.append(_(
            "Of these, %(suppliers)s suppliers on %(agreements)s agreements were followed up "
            "jointly, on joint agreements we take part in, led by %(leads)s; %(deviations)s of "
            "the deviations were found in that joint follow-up.",
            suppliers=n(follow.joint_suppliers), agreements=n(follow.joint_agreements),
            leads=", ".join(leads), deviations=n(report.deviations.joint_detected),
        ))
        joint = "; ".join(f"{names.method(m.kind, m.lead)} ({n(m.activities)})"
                          for m in follow.by_method if m.lead)
        paragraphs.append(_("Joint follow-up in %(year)s, with the number of times: %(methods)s.",
                            year=year, methods=joint))

    paragraphs.append(_(
        "Deviations are registered with a corrective action plan and a deadline, and the supplier "
        "documents the correction. If the plan is not followed, the matter is escalated: temporary "
        "suspension of orders, replacement purchases and, finally, termination of the contract."
    ))
    return "\n\n".join(paragraphs)


def text_4a1(report: YearReport) -> tuple[str, bool]:
    """The text to show for 4.A.1 and whether it is the saved one (the saved text wins)."""
    if report.saved_4a1 is not None and report.saved_4a1.text.strip():
        return report.saved_4a1.text, True
    return draft_4a1(report), False

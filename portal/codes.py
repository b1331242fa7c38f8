"""Fixed code lists from the domain (DOMAIN.md sections 5 and 6).

Codes are stored in the database; labels are translated at display time.
The Norwegian catalog carries the exact nb wording of the domain reference,
so exports to the Etisk handel Norge report need no further translation.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext


@dataclass(frozen=True)
class Code:
    code: str
    label: object  # a lazy string

    def __str__(self) -> str:
        return str(self.label)


class CodeList:
    """An ordered list of codes with translated labels."""

    def __init__(self, *codes: Code) -> None:
        self._codes = {c.code: c for c in codes}

    def __iter__(self) -> Iterator[Code]:
        return iter(self._codes.values())

    def __contains__(self, code: object) -> bool:
        return code in self._codes

    def __len__(self) -> int:
        return len(self._codes)

    def label(self, code: str | None) -> str:
        if code is None:
            return ""
        found = self._codes.get(code)
        return str(found.label) if found else code

    def choices(self) -> list[tuple[str, str]]:
        return [(c.code, str(c.label)) for c in self]

    @property
    def codes(self) -> list[str]:
        return list(self._codes)


DFO_CATEGORIES = CodeList(
    Code("workwear", _l("Workwear, footwear and textiles")),
    Code("ict", _l("ICT products")),
    Code("conflict_minerals", _l("Products containing conflict minerals")),
    Code("building", _l("Building and construction materials")),
    Code("office", _l("Office supplies")),
    Code("toys_sports", _l("Toys and sports equipment")),
    Code("food", _l("Food and drink")),
    Code("medical", _l("Medical equipment and consumables")),
    Code("furniture", _l("Furniture")),
)

PROCUREMENT_KINDS = CodeList(
    Code("framework", _l("Framework agreement")),
    Code("contract", _l("Single contract")),
    Code("construction", _l("Construction contract")),
)

RESPONSE_STATUSES = CodeList(
    Code("not_started", lazy_pgettext("response status", "Not started")),
    Code("in_progress", lazy_pgettext("response status", "In progress")),
    Code("submitted", lazy_pgettext("response status", "Submitted")),
    Code("returned", lazy_pgettext("response status", "Returned for clarification")),
    Code("resubmitted", lazy_pgettext("response status", "Resubmitted")),
    Code("accepted", lazy_pgettext("response status", "Accepted")),
)

QUESTIONNAIRE_VARIANTS = CodeList(
    Code("full", lazy_pgettext("questionnaire variant", "Full")),
    Code("simplified", lazy_pgettext("questionnaire variant", "Simplified")),
)





# DOMAIN 5.1 (rights) and 5.2 (process) deviation types.
RIGHTS_DEVIATION_TYPES = CodeList(
    Code("CHILD", _l("Child labour")),
    Code("YOUNG", _l("Young workers (lack of special protection)")),
    Code("FORCED", _l("Forced or bonded labour and trafficking")),
    Code("FOA", _l("Freedom of association and collective bargaining")),
    Code("DISCR", _l("Discrimination")),
    Code("HARSH", _l("Harsh or inhumane treatment, harassment and violence")),
    Code("WAGES", _l("Wages (minimum wage, living wage, overtime pay, illegal deductions)")),
    Code("HOURS", _l("Working hours and overtime")),
    Code("OHS", _l("Occupational health and safety, incl. building and fire safety, chemicals, PPE, housing")),
    Code("EMPLOY", _l("Regular employment (contracts, social security, agency labour, subcontracting, homeworking)")),
    Code("RECRUIT", _l("Migrant workers and recruitment (recruitment fees, retained passports, right to work)")),
    Code("MARGIN", _l("Marginalised groups, indigenous peoples and communities (land rights, forced relocation)")),
    Code("ENV", _l("Environment (emissions, chemicals, waste)")),
    Code("CORR", _l("Corruption and business ethics")),
    Code("ANIMAL", _l("Animal welfare")),
    Code("OTHER", lazy_pgettext("theme", "Other")),
)
PROCESS_DEVIATION_TYPES = CodeList(
    Code("P-POLICY", _l("Missing or inadequate policy or embedding")),
    Code("P-RISK", _l("No risk assessment")),
    Code("P-TRANSP", _l("Lack of supply-chain transparency (sites not disclosed)")),
    Code("P-ACTION", _l("No action plan")),
    Code("P-TRACK", _l("No tracking of measures")),
    Code("P-COMM", _l("No public communication or account")),
    Code("P-REMEDY", _l("No remediation procedure or grievance mechanism")),
    Code("P-DOC", _l("Failure to answer or document by the deadline")),
    Code("P-SD", _l("Special social dialogue requirement not met")),
)
DEVIATION_TYPES = CodeList(*RIGHTS_DEVIATION_TYPES, *PROCESS_DEVIATION_TYPES)

# Themes of the 2.A.3 priority-risk table: the rights themes plus climate (DOMAIN 7.3).
THEMES = CodeList(
    *(c for c in RIGHTS_DEVIATION_TYPES if c.code != "OTHER"),
    Code("CLIMATE", _l("Climate and greenhouse gas emissions")),
    Code("OTHER", lazy_pgettext("theme", "Other")),
)

SEVERITIES = CodeList(
    Code("CRITICAL", _l("Critical (zero tolerance)")),
    Code("MAJOR", _l("Major")),
    Code("MINOR", _l("Minor")),
    Code("OBS", _l("Observation / improvement point")),
)

TIERS = CodeList(
    Code("T0", _l("Supplier's own operations")),
    Code("TI", _l("Agent / importer / wholesaler")),
    Code("T1", _l("Final production / assembly")),
    Code("T2", _l("Component and material production")),
    Code("T3", _l("Raw-material production / extraction / farming")),
    Code("TL", _l("Logistics and warehousing")),
    Code("TS", _l("Subcontractor / service provider in Norway")),
    Code("TU", _l("Unknown")),
)

DEVIATION_STATUSES = CodeList(
    Code("REGISTERED", _l("Registered")),
    Code("NOTIFIED", _l("Supplier notified")),
    Code("AWAITING_CAP", _l("Awaiting corrective action plan")),
    Code("IN_PROGRESS", _l("CAP approved – remediation in progress")),
    Code("VERIFYING", _l("Remediated – pending verification")),
    Code("CLOSED_OK", _l("Closed – remediated")),
    Code("ESCALATED", _l("Escalated (sanction being considered)")),
    Code("CLOSED_NOT_OK", _l("Closed – not remediated (sanction / termination / disengagement)")),
    Code("WITHDRAWN", _l("Withdrawn (registered in error)")),
)
# The "Status" column of the annual report's 4.A.3 table (DOMAIN 5.5, EHN text).
EHN_STATUS_TEXT = {
    "REGISTERED": _l("Identified, not started"),
    "NOTIFIED": _l("Identified, not started"),
    "AWAITING_CAP": _l("Being handled"),
    "IN_PROGRESS": _l("Being remedied"),
    "VERIFYING": _l("Being remedied"),
    "CLOSED_OK": _l("Closed"),
    "ESCALATED": _l("Escalated"),
    "CLOSED_NOT_OK": _l("Closed, not remedied"),
}
OPEN_DEVIATION_STATUSES = ("REGISTERED", "NOTIFIED", "AWAITING_CAP", "IN_PROGRESS", "VERIFYING", "ESCALATED")
CLOSED_DEVIATION_STATUSES = ("CLOSED_OK", "CLOSED_NOT_OK")
# What the supplier may do with its own deviation, by status: propose its plan until the
# municipality has approved one, report progress while it is open, report closure once the
# plan is being carried out.
PLAN_DEVIATION_STATUSES = ("REGISTERED", "NOTIFIED", "AWAITING_CAP")
PROGRESS_DEVIATION_STATUSES = ("NOTIFIED", "AWAITING_CAP", "IN_PROGRESS", "VERIFYING", "ESCALATED")
CLOSURE_DEVIATION_STATUSES = ("IN_PROGRESS",)
# DOMAIN 5.5: the forward path, escalation from any open status, and back from escalation.
# Withdrawing (registered in error) is possible from any open status.
DEVIATION_TRANSITIONS: dict[str, tuple[str, ...]] = {
    "REGISTERED": ("NOTIFIED", "ESCALATED", "WITHDRAWN"),
    "NOTIFIED": ("AWAITING_CAP", "ESCALATED", "WITHDRAWN"),
    "AWAITING_CAP": ("IN_PROGRESS", "ESCALATED", "WITHDRAWN"),
    "IN_PROGRESS": ("VERIFYING", "ESCALATED", "WITHDRAWN"),
    "VERIFYING": ("CLOSED_OK", "ESCALATED", "WITHDRAWN"),
    "ESCALATED": ("CLOSED_NOT_OK", "IN_PROGRESS", "WITHDRAWN"),
    "CLOSED_OK": (),
    "CLOSED_NOT_OK": (),
    "WITHDRAWN": (),
}

MEASURES = CodeList(
    Code("DIALOGUE", _l("Dialogue / follow-up meeting")),
    Code("CAP", _l("Corrective action plan")),
    Code("TRAINING", _l("Training / capacity building")),
    Code("REAUDIT", _l("Follow-up audit / verification")),
    Code("REMEDY", _l("Remediation for workers (back pay, fee refund, medical help)")),
    Code("PURCH", _l("Changed purchasing practice")),
    Code("SUSPEND", _l("Temporary suspension of orders")),
    Code("REPLACE", _l("Replacement purchase from another supplier")),
    Code("TERMINATE", _l("Termination / responsible disengagement")),
    Code("REPORT", _l("Report to an authority / regulator")),
)

DETECTION_METHODS = CodeList(
    Code("SAQ", _l("Self-assessment")),
    Code("DESK", _l("Document review / office audit")),
    Code("SITE", _l("Factory audit / visit")),
    Code("MEETING", _l("Status or follow-up meeting")),
    Code("GRIEV", _l("Grievance / whistleblowing")),
    Code("MEDIA", _l("Media / NGO / trade union")),
    Code("SUPP", _l("Supplier's own report")),
    Code("SPOT", _l("Spot check")),
)

# DOMAIN 7.2: the dated events that count as contract follow-up in 4.A.2.
ACTIVITY_KINDS = CodeList(
    Code("questionnaire_reviewed", _l("Questionnaire reviewed")),
    Code("status_meeting", _l("Status meeting with a sustainability item")),
    Code("document_review", _l("Document review / office audit")),
    Code("site_audit", _l("Site audit / factory visit")),
    Code("social_dialogue_evidence_reviewed", _l("Social-dialogue evidence reviewed")),
    Code("spot_check", _l("Spot check")),
    Code("supply_chain_info_request", _l("Supply-chain information request answered")),
    Code("shared_self_assessment", _l("Shared self-assessment")),
    Code("reused_follow_up", _l("Reused follow-up")),
)

# DOMAIN 0b: activities that rest on another buyer's work through a supplier's share. They are
# recorded from a received response only, never by hand (``RECORDABLE_ACTIVITY_KINDS``).
SHARED_ACTIVITY_KINDS = ("shared_self_assessment", "reused_follow_up")
RECORDABLE_ACTIVITY_KINDS = CodeList(
    *(code for code in ACTIVITY_KINDS if code.code not in SHARED_ACTIVITY_KINDS)
)

VERDICTS = CodeList(
    Code("meets", _l("Meets")),
    Code("partly", _l("Partly meets")),
    Code("not_met", _l("Does not meet")),
    Code("na", _l("Not applicable")),
)

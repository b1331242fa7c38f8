"""All models, imported here so Alembic and the app see one metadata."""

from portal.models.agreement import Agreement, agreement_participant, agreement_supplier
from portal.models.audit import AuditEvent
from portal.models.base import Base, utcnow
from portal.models.buyer import Buyer, BuyerKind, BuyerOwned, buyer_supplier
from portal.models.followup import (
    AWAITING_REVIEW,
    EDITABLE_STATUSES,
    Answer,
    CompanyAnswerSet,
    EvidenceFile,
    FollowUpRound,
    PendingInput,
    QuestionnaireVersion,
    Response,
    ResponseStatus,
    Submission,
)
from portal.models.identity import IdentityProvider
from portal.models.mail import MailDelivery
from portal.models.published import PublishedReport, PublishedReportFile
from portal.models.review import (
    Attachment,
    Clarification,
    ClarificationReply,
    Deviation,
    DeviationUpdate,
    FollowUpActivity,
    QuestionReview,
    ReportText,
)
from portal.models.risk import PriorityRisk
from portal.models.sharing import ResponseShare, ShareReview
from portal.models.site import ProductionSite
from portal.models.storage import StoredObject
from portal.models.supplier import Supplier
from portal.models.user import LOCALES, Attempt, AttemptKind, Role, User

__all__ = [
    "AWAITING_REVIEW",
    "EDITABLE_STATUSES",
    "LOCALES",
    "Agreement",
    "Answer",
    "Attachment",
    "Attempt",
    "AttemptKind",
    "Clarification",
    "ClarificationReply",
    "CompanyAnswerSet",
    "Deviation",
    "DeviationUpdate",
    "FollowUpActivity",
    "IdentityProvider",
    "MailDelivery",
    "PublishedReport",
    "PublishedReportFile",
    "QuestionReview",
    "ReportText",
    "EvidenceFile",
    "FollowUpRound",
    "PendingInput",
    "QuestionnaireVersion",
    "Response",
    "ResponseShare",
    "ResponseStatus",
    "ShareReview",
    "StoredObject",
    "Submission",
    "AuditEvent",
    "Base",
    "Buyer",
    "BuyerKind",
    "BuyerOwned",
    "PriorityRisk",
    "ProductionSite",
    "Role",
    "Supplier",
    "User",
    "agreement_participant",
    "agreement_supplier",
    "buyer_supplier",
    "utcnow",
]

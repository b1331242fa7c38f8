"""The record of processing (behandlingsprotokoll, GDPR art. 30) shown on the privacy page.

Kept as data so that the page, in Norwegian and English, is the one place it is written.
When a model gains or loses personal data, change the entry here too.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Processing:
    """One category of personal data and how the portal treats it."""

    key: str
    title: object
    data: object
    purpose: object
    legal_basis: object
    recipients: object
    retention: object


_PUBLIC_DUTY = _l(
    "GDPR article 6(1)(c) and (e): the municipality's legal duty as a public buyer to have routines "
    "that respect fundamental human rights in its supply chains (the Public Procurement Act section 5), "
    "and the follow-up clause of the contract with the supplier."
)

RECORD: tuple[Processing, ...] = (
    Processing(
        key="supplier-users",
        title=_l("Supplier users and contact persons"),
        data=_l("Name, work e-mail address, job title, preferred language and the supplier the person "
                "works for. The contact person for due diligence (question A1) with name, job title and "
                "e-mail. A phone number only if the supplier writes one in an answer: the portal has no "
                "phone field."),
        purpose=_l("To give the supplier's staff access, to send invitations, reminders and decisions, "
                   "and to know whom to contact about the supplier's answers and deviations."),
        legal_basis=_PUBLIC_DUTY,
        recipients=_l("The municipality's reviewers and administrators; colleagues at the same supplier "
                      "see each other's names and e-mail addresses."),
        retention=_l("As long as the account is in use. A deactivated account is kept, because the audit "
                     "trail and the signed declarations must show who did what; it can no longer sign in. "
                     "When the person has left, an administrator of the buyer can erase them (see Erasure "
                     "below)."),
    ),
    Processing(
        key="staff",
        title=_l("The municipality's reviewers and administrators"),
        data=_l("Name, work e-mail address, job title, role and whether two-factor sign-in is on; the "
                "name of the reviewer on verdicts, deviations and follow-up activities."),
        purpose=_l("Access control, and documenting who assessed what in the follow-up."),
        legal_basis=_l("GDPR article 6(1)(c) and (e) as above, and the employment relationship."),
        recipients=_l("Other staff; suppliers may see a reviewer's name on messages and decisions "
                      "sent to them."),
        retention=_l("As long as the account is in use; then kept deactivated with the audit trail, until "
                     "an administrator erases the person (see Erasure below)."),
    ),
    Processing(
        key="declarations",
        title=_l("Signed declarations"),
        data=_l("For every submitted self-assessment: who submitted it, when, the answers as submitted "
                "and a receipt (PDF)."),
        purpose=_l("Documentation of what the supplier declared, and by whom, for the follow-up and "
                   "the municipality's annual report."),
        legal_basis=_PUBLIC_DUTY,
        recipients=_l("The supplier's own users and the municipality's staff."),
        retention=_l("The receipts and the answers are deleted automatically a set number of years after "
                     "the agreement ended (see Deletion after the agreement ends below). That a submission "
                     "was made, when and by whom stays, as the municipality's archive plan requires (the "
                     "Archives Act)."),
    ),
    Processing(
        key="emails",
        title=_l("E-mails sent by the portal"),
        data=_l("The recipient's address, the subject and the text of each invitation, reminder, receipt "
                "and decision, and whether it was sent."),
        purpose=_l("To send the messages reliably and to show what was sent when."),
        legal_basis=_PUBLIC_DUTY,
        recipients=_l("Nobody reads them in the portal; they are kept for operations."),
        retention=_l("Kept with the records they report. A receipt attached to an e-mail is dropped once the "
                     "e-mail is sent. When a person is erased, their address and name are replaced by the "
                     "neutral label, and messages not yet sent to them are not sent."),
    ),
    Processing(
        key="sign-ins",
        title=_l("Sign-ins"),
        data=_l("Time of each successful sign-in, time of the last sign-in, and failed attempts (the "
                "e-mail address as typed and the network address)."),
        purpose=_l("Security: to stop password guessing and to investigate misuse."),
        legal_basis=_l("GDPR article 6(1)(e) and article 32 (security of processing)."),
        recipients=_l("Administrators (the audit log)."),
        retention=_l("Failed attempts are deleted after one day. Successful sign-ins are kept in the "
                     "audit trail as long as it is kept."),
    ),
    Processing(
        key="audit-trail",
        title=_l("Audit trail"),
        data=_l("Who changed what and when, with the value before and after: answers, files, verdicts, "
                "deviations, accounts, supplier details and exports of personal data."),
        purpose=_l("Accountability and traceability of the follow-up; the record can show who did what."),
        legal_basis=_l("GDPR article 6(1)(c) and (e), article 5(2) (accountability) and article 32."),
        recipients=_l("Administrators."),
        retention=_l("As long as the records it describes are kept. Entries are never changed, except that "
                     "the name, e-mail address and job title of an erased person are replaced by the "
                     "neutral label."),
    ),
    Processing(
        key="evidence",
        title=_l("Answers and evidence files that may name workers"),
        data=_l("Free-text answers and uploaded documents can contain information about identifiable "
                "workers, such as worker representatives, union members, complaints or incidents. "
                "Trade-union membership is a special category of personal data (GDPR article 9), "
                "which matters above all in the social dialogue section."),
        purpose=_l("To assess the supplier's work on human rights and decent working conditions."),
        legal_basis=_l("As for declarations. Suppliers are asked not to name workers or union members "
                       "and to send only what is needed; where a document still does, the municipality "
                       "relies on GDPR article 9(2)(g) (substantial public interest, laid down in the "
                       "procurement rules). The municipality's data protection officer confirms the "
                       "basis before the portal is used."),
        recipients=_l("The supplier's own users and the municipality's reviewers. Published reports "
                      "contain figures only, never names or production sites."),
        retention=_l("Evidence files and answers are deleted automatically a set number of years after the "
                     "agreement ended (see Deletion after the agreement ends below). The report figures are "
                     "counted from the follow-up records, not from the files, and do not change."),
    ),
)

"""User accounts: supplier users, reviewers and administrators."""

from __future__ import annotations

import secrets
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, TimestampMixin, utcnow

if TYPE_CHECKING:
    from portal.models.buyer import Buyer
    from portal.models.supplier import Supplier


class Role(StrEnum):
    SUPPLIER = "supplier"
    REVIEWER = "reviewer"
    ADMIN = "admin"  # a buyer's administrator
    # Runs the installation: creates buyers and invites their first administrators; sees no
    # buyer's answers, verdicts or deviations.
    PLATFORM_ADMIN = "platform_admin"


LOCALES = ("nb", "en")


def erased_label(user_id: int) -> str:
    """The neutral name an erased person is shown by, in the current language."""
    from flask_babel import gettext

    return gettext("Former contact #%(id)s", id=user_id)


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


class User(UserMixin, TimestampMixin, Base):
    __tablename__ = "user"
    __table_args__ = (
        CheckConstraint(
            "(role = 'supplier') = (supplier_id IS NOT NULL)", name="supplier_role_has_supplier"
        ),
        CheckConstraint(
            "role IN ('supplier', 'reviewer', 'admin', 'platform_admin')", name="role_known"
        ),
        CheckConstraint(
            "(role IN ('reviewer', 'admin')) = (buyer_id IS NOT NULL)", name="staff_have_buyer"
        ),
        CheckConstraint("locale IN ('nb', 'en')", name="locale_known"),
        # The provider's subject identifier names one person per buyer and issuer.
        UniqueConstraint("buyer_id", "oidc_issuer", "oidc_subject"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    job_title: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("supplier.id"), index=True)
    # Staff belong to one buyer; supplier users to none (suppliers are shared).
    buyer_id: Mapped[int | None] = mapped_column(ForeignKey("buyer.id"), index=True)
    locale: Mapped[str] = mapped_column(String(5), default="nb")
    is_active: Mapped[bool] = mapped_column(default=True)
    # Part of the login cookie; rotating it ends every session of the user.
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    is_totp_enabled: Mapped[bool] = mapped_column(default=False)
    totp_last_step: Mapped[int | None] = mapped_column()
    last_login_at: Mapped[datetime | None] = mapped_column()
    # Staff linked to their buyer's OpenID Connect provider: its issuer and the subject
    # identifier (`sub`) it gave this person at the first sign-in.
    oidc_issuer: Mapped[str | None] = mapped_column(String(500))
    oidc_subject: Mapped[str | None] = mapped_column(String(255))
    invited_at: Mapped[datetime | None] = mapped_column()
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # Set when the person was erased (GDPR art. 17): the row stays so that the records the
    # buyer keeps still point at someone, shown as "Former contact #id".
    erased_at: Mapped[datetime | None] = mapped_column()

    supplier: Mapped[Supplier | None] = relationship(back_populates="users")
    buyer: Mapped[Buyer | None] = relationship()
    invited_by: Mapped[User | None] = relationship(remote_side=[id])

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    def rotate_session_token(self) -> None:
        self.session_token = new_session_token()

    @property
    def is_supplier(self) -> bool:
        return self.role == Role.SUPPLIER

    @property
    def is_staff(self) -> bool:
        return self.role in (Role.REVIEWER, Role.ADMIN)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_platform_admin(self) -> bool:
        return self.role == Role.PLATFORM_ADMIN

    @property
    def has_accepted_invitation(self) -> bool:
        return self.password_hash is not None or self.oidc_subject is not None

    @property
    def buyer_name(self) -> str:
        """The name of the staff member's buyer ("" for supplier users)."""
        return self.buyer.name if self.buyer is not None else ""

    @property
    def is_erased(self) -> bool:
        return self.erased_at is not None

    @property
    def display_name(self) -> str:
        if self.erased_at is not None:
            return erased_label(self.id)
        return self.name or self.email

    def can_view_supplier(self, supplier_id: int) -> bool:
        return self.is_staff or self.supplier_id == supplier_id

    def can_invite_to(self, supplier_id: int | None) -> bool:
        """Admins invite anyone; the platform administrator invites buyers' administrators
        (no supplier users); supplier users invite colleagues of their own supplier."""
        if self.is_admin:
            return True
        if self.is_platform_admin:
            return supplier_id is None
        return self.is_supplier and supplier_id is not None and supplier_id == self.supplier_id

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


class AttemptKind(StrEnum):
    PASSWORD = "password"  # noqa: S105 - a kind of attempt, not a secret
    CODE = "code"
    INVITATION = "invitation"


class Attempt(Base):
    """One counted attempt: a failed password or two-factor code, or a colleague invitation.

    Throttling counts these rows per (account, address), per address and per account
    over a time window, in the database so that every worker sees the same counts.
    ``account`` is the e-mail address as typed (normalised), also when no such account
    exists, so that throttling answers the same for known and unknown addresses; for
    invitations it is the inviting user's id.
    """

    __tablename__ = "attempt"
    __table_args__ = (
        CheckConstraint("kind IN ('password', 'code', 'invitation')", name="kind_known"),
        Index("ix_attempt_kind_account_created_at", "kind", "account", "created_at"),
        Index("ix_attempt_kind_address_created_at", "kind", "address", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    account: Mapped[str] = mapped_column(String(254))
    address: Mapped[str] = mapped_column(String(64), default="")
    # The pending two-factor sign-in a wrong code belongs to (a random id kept in the session).
    sign_in: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    def __repr__(self) -> str:
        return f"<Attempt {self.kind} {self.created_at:%Y-%m-%d %H:%M}>"

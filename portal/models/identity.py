"""A buyer's OpenID Connect provider: how its staff sign in with their organisation's account."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, TimestampMixin
from portal.models.buyer import Buyer, BuyerOwned


class IdentityProvider(BuyerOwned, TimestampMixin, Base):
    """One per buyer (scoped to it like every buyer-owned record, portal/tenancy.py). The
    client secret is stored encrypted (portal/oidc/secrets.py) and never shown again."""

    __tablename__ = "identity_provider"

    id: Mapped[int] = mapped_column(primary_key=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("buyer.id", ondelete="CASCADE"), unique=True)
    # The issuer URL; discovery is read from <issuer>/.well-known/openid-configuration.
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(255))
    client_secret_encrypted: Mapped[str] = mapped_column(Text, default="")
    # Lower-case e-mail domains, one per line: whose addresses may sign in here.
    email_domains: Mapped[str] = mapped_column(Text, default="")
    # When set, the ID token's `acr` must be exactly this (e.g. idporten-loa-high).
    required_acr: Mapped[str] = mapped_column(String(255), default="")
    # A person the provider vouches for but Aktsom does not know becomes a reviewer.
    creates_reviewers: Mapped[bool] = mapped_column(default=False)
    is_enabled: Mapped[bool] = mapped_column(default=True)

    buyer: Mapped[Buyer] = relationship()

    @property
    def domains(self) -> list[str]:
        return [d for d in self.email_domains.split() if d]

    @property
    def discovery_url(self) -> str:
        issuer = self.issuer.rstrip("/")
        if issuer.endswith("/.well-known/openid-configuration"):
            return issuer
        return issuer + "/.well-known/openid-configuration"

    def __repr__(self) -> str:
        return f"<IdentityProvider buyer={self.buyer_id} {self.issuer!r}>"

"""The code lists of a production site: the same values as the questionnaire's site table (DOMAIN 4.3).

The register stores codes; the labels are translated at display time. When a site is written
into an answer, a code the questionnaire's column does not offer is left out (see ``mapping``).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal.codes import TIERS, Code, CodeList

__all__ = ["AUDIT_SCHEMES", "CERTIFICATIONS", "MIGRANT_WORKERS", "RELATIONS", "REPRESENTATION", "TIERS"]

RELATIONS = CodeList(
    Code("direct", _l("Direct")),
    Code("via_agent", _l("Via agent or importer")),
)

MIGRANT_WORKERS = CodeList(
    Code("yes", _l("Yes")),
    Code("no", _l("No")),
    Code("unknown", _l("Don't know")),
)

# The ETI/EHN worker-representation ladder, shared by the site table and H2.
REPRESENTATION = CodeList(
    Code("union_with_cba", _l("Independent trade union with a collective agreement")),
    Code("union_without_cba", _l("Independent trade union without a collective agreement")),
    Code("elected_committee", _l("Democratically elected worker committee")),
    Code("management_committee", _l("Management-appointed committee")),
    Code("none", _l("None")),
    Code("unknown", _l("Unknown")),
)

AUDIT_SCHEMES = CodeList(
    Code("amfori_bsci", _l("amfori BSCI")),
    Code("smeta", _l("SMETA")),
    Code("sa8000", _l("SA8000")),
    Code("rba", _l("RBA")),
    Code("wrap", _l("WRAP")),
    Code("own", _l("Own audit")),
    Code("none", _l("No audit")),
    Code("other", _l("Other audit")),
)

CERTIFICATIONS = CodeList(
    Code("fairtrade", _l("Fairtrade")),
    Code("fsc", _l("FSC")),
    Code("tco_certified", _l("TCO Certified")),
    Code("fair_wear", _l("Fair Wear")),
    Code("rainforest_alliance", _l("Rainforest Alliance")),
    Code("other", _l("Other certification")),
)

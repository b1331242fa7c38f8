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

QUESTIONNAIRE_VARIANTS = CodeList(
    Code("full", lazy_pgettext("questionnaire variant", "Full")),
    Code("simplified", lazy_pgettext("questionnaire variant", "Simplified")),
)

THEMES = CodeList(
    Code("CHILD", _l("Child labour")),
    Code("YOUNG", _l("Young workers (lack of special protection)")),
    Code("FORCED", _l("Forced or bonded labour and trafficking")),
    Code("FOA", _l("Freedom of association and collective bargaining")),
    Code("DISCR", _l("Discrimination")),
    Code("HARSH", _l("Harsh or inhumane treatment, harassment and violence")),
    Code("WAGES", _l("Wages (minimum wage, living wage, overtime pay, illegal deductions)")),
    Code("HOURS", _l("Working hours and overtime")),
    Code(
        "OHS",
        _l(
            "Occupational health and safety, incl. building and fire safety, chemicals, PPE, housing"
        ),
    ),
    Code(
        "EMPLOY",
        _l(
            "Regular employment (contracts, social security, agency labour, subcontracting, homeworking)"
        ),
    ),
    Code(
        "RECRUIT",
        _l("Migrant workers and recruitment (recruitment fees, retained passports, right to work)"),
    ),
    Code(
        "MARGIN",
        _l(
            "Marginalised groups, indigenous peoples and communities (land rights, forced relocation)"
        ),
    ),
    Code("ENV", _l("Environment (emissions, chemicals, waste)")),
    Code("CORR", _l("Corruption and business ethics")),
    Code("ANIMAL", _l("Animal welfare")),
    Code("CLIMATE", _l("Climate and greenhouse gas emissions")),
    Code("OTHER", lazy_pgettext("theme", "Other")),
)

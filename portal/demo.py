"""Demo data from the municipality's 2023 report (DOMAIN section 9), with fictional suppliers.

Loading is idempotent: records are found by their natural keys (e-mail,
organisation number, agreement reference) and created only when missing.
Supplier names end in "(demo)"; their organisation numbers pass MOD11 but are invented.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import (
    Agreement,
    Buyer,
    BuyerKind,
    PriorityRisk,
    Role,
    Supplier,
    User,
    buyer_supplier,
)
from portal.passwords import hash_password

DEMO_PASSWORD = "aktsom-demo-2025"  # noqa: S105 - documented demo credential, refused in production


@dataclass(frozen=True)
class DemoLogin:
    email: str
    role: str
    description: str


DEMO_LOGINS = (
    DemoLogin("admin@kommune.example", Role.ADMIN, "administrator"),
    DemoLogin("fagansvarlig@kommune.example", Role.REVIEWER, "reviewer (fagansvarlig etisk handel)"),
    DemoLogin("leverandor@arbeidsklaer.example", Role.SUPPLIER, "supplier on both workwear agreements"),
    DemoLogin("leverandor@solcelle.example", Role.SUPPLIER, "supplier on the solar-panel agreement"),
    DemoLogin("admin@fjordvik.example", Role.ADMIN, "administrator of Fjordvik kommune (demo)"),
    DemoLogin("plattform@aktsom.example", Role.PLATFORM_ADMIN, "platform administrator (buyers)"),
    DemoLogin("fagansvarlig@fjordvik.example", Role.REVIEWER, "reviewer of Fjordvik kommune (demo)"),
    DemoLogin("fagansvarlig@innkjopssamarbeid.example", Role.REVIEWER,
              "reviewer of the purchasing cooperation (demo), lead of the joint workwear agreement"),
    DemoLogin("admin@innkjopssamarbeid.example", Role.ADMIN,
              "administrator of the purchasing cooperation (demo)"),
)

SUPPLIERS = [
    # key, name, org number, city
    ("workwear", "Nordlys Arbeidsklær AS (demo)", "912345602", "Lillestrøm"),
    ("solar", "Solfanger Energi AS (demo)", "912345610", "Kjeller"),
    ("solar2", "Romerike Solmontasje AS (demo)", "912345629", "Strømmen"),
    ("ict", "Datapartner Øst AS (demo)", "912345637", "Oslo"),
    ("builder", "Bingsfoss Byggentreprenør AS (demo)", "912345645", "Sørumsand"),
    ("play", "Lekeland Utemiljø AS (demo)", "912345653", "Fetsund"),
    ("office", "Kontorkompaniet AS (demo)", "912345661", "Lillestrøm"),
    ("fruit", "Grønn Gaffel Engros AS (demo)", "912345688", "Skedsmokorset"),
    ("fuel", "Anleggsdrift Drivstoff AS (demo)", "912345696", "Lillestrøm"),
    ("meat", "Romerike Kjøttsentral AS (demo)", "912345718", "Lillestrøm"),
    ("eggs", "Gården Egg og Fjørfe (demo)", "912345726", "Sørum"),
]

SOCIAL_DIALOGUE_WORDING = (
    "Leverandøren skal kunne vise til gjennomførte tiltak for sosial dialog på fabrikknivå "
    "ved de mest sentrale fabrikkene som produserer varene i leveransen. Tiltakene og nivået "
    "fastsettes i dialog med oppdragsgiver og skal være målbare. Dokumentasjon på gjennomførte "
    "tiltak fremlegges årlig."
)

AGREEMENTS: list[dict[str, Any]] = [
    dict(reference="LK-2023-0112", name_nb="Solcellepaneler", name_en="Solar panels",
         kind="framework", dfo_category="building", estimated_value=Decimal("60000000"),
         start_date=date(2023, 9, 1), end_date=date(2027, 8, 31), qualification_requirement=True,
         award_criterion=True, contract_condition=True, social_dialogue_required=True,
         social_dialogue_wording=SOCIAL_DIALOGUE_WORDING, questionnaire_variant="full",
         product_scope="Solcellemoduler (paneler)\nVekselrettere", suppliers=["solar", "solar2"]),
    dict(reference="LK-2023-0087", name_nb="IKT- og AV-utstyr", name_en="ICT and AV equipment",
         kind="framework", dfo_category="ict", estimated_value=Decimal("120000000"),
         start_date=date(2023, 6, 1), end_date=date(2027, 5, 31), qualification_requirement=True,
         award_criterion=True, contract_condition=True, questionnaire_variant="full",
         product_scope="Bærbare PC-er\nSkjermer\nNettbrett", suppliers=["ict"]),
    dict(reference="LK-2022-0301", name_nb="Utvidelse og ombygging av Bingsfoss ungdomsskole",
         name_en="Extension and conversion of Bingsfoss lower secondary school",
         kind="construction", dfo_category="building", estimated_value=Decimal("250000000"),
         start_date=date(2023, 3, 1), end_date=date(2025, 12, 31), qualification_requirement=True,
         contract_condition=True, questionnaire_variant="full",
         product_scope="Natursteinsprodukter\nTrevirke\nStål", suppliers=["builder"]),
    dict(reference="LK-2023-0045", name_nb="Uteleker og ballbinger",
         name_en="Outdoor play equipment and ball courts", kind="framework",
         dfo_category="toys_sports", estimated_value=Decimal("15000000"),
         start_date=date(2023, 4, 1), end_date=date(2026, 3, 31), qualification_requirement=True,
         contract_condition=True, questionnaire_variant="simplified",
         product_scope="Lekeapparater\nBallbinger", suppliers=["play"]),
    dict(reference="LK-2021-0210", name_nb="Kontormateriell", name_en="Office supplies",
         kind="framework", dfo_category="office", estimated_value=Decimal("8000000"),
         start_date=date(2021, 11, 1), end_date=date(2025, 10, 31), qualification_requirement=True,
         contract_condition=True, questionnaire_variant="simplified",
         product_scope="Penner og tusjer\nBatterier\nPapirprodukter", suppliers=["office"]),
    dict(reference="LK-2021-0155", name_nb="Arbeidstøy til teknisk sektor",
         name_en="Workwear for the technical sector", kind="framework", dfo_category="workwear",
         estimated_value=Decimal("30000000"), start_date=date(2021, 5, 1), end_date=date(2027, 4, 30),
         qualification_requirement=True, contract_condition=True, social_dialogue_required=True,
         social_dialogue_wording=SOCIAL_DIALOGUE_WORDING, questionnaire_variant="full",
         product_scope="Arbeidsbukser\nVarselklær\nVernesko", suppliers=["workwear"]),
    dict(reference="LK-2021-0156", name_nb="Arbeidstøy til kjøkken og helsesektoren",
         name_en="Workwear for kitchens and the health sector", kind="framework",
         dfo_category="workwear", estimated_value=Decimal("25000000"), start_date=date(2021, 5, 1),
         end_date=date(2027, 4, 30), qualification_requirement=True, contract_condition=True,
         social_dialogue_required=True, social_dialogue_wording=SOCIAL_DIALOGUE_WORDING,
         questionnaire_variant="full", product_scope="Kokkeklær\nUniformer helse\nTresko",
         suppliers=["workwear"]),
    dict(reference="LK-2022-0020", name_nb="Frukt og grønt", name_en="Fruit and vegetables",
         kind="framework", dfo_category="food", estimated_value=Decimal("40000000"),
         start_date=date(2022, 1, 1), end_date=date(2025, 12, 31), qualification_requirement=True,
         contract_condition=True, questionnaire_variant="full",
         product_scope="Bananer\nTomater\nAppelsiner", suppliers=["fruit"]),
    dict(reference="LK-2020-0410", name_nb="Anleggstjenester knyttet til drivstoff",
         name_en="Construction services related to fuel", kind="contract", dfo_category=None,
         estimated_value=Decimal("2000000"), start_date=date(2020, 6, 1), end_date=date(2024, 5, 31),
         contract_condition=True, questionnaire_variant="simplified", suppliers=["fuel"]),
    dict(reference="LK-2023-0190", name_nb="Ferskt kjøtt", name_en="Fresh meat", kind="framework",
         dfo_category="food", estimated_value=Decimal("35000000"), start_date=date(2023, 10, 1),
         end_date=date(2027, 9, 30), contract_condition=True, questionnaire_variant="simplified",
         product_scope="Storfe\nSvin\nKylling", suppliers=["meat"]),
    dict(reference="LK-2023-0191", name_nb="Lokale egg", name_en="Local eggs", kind="contract",
         dfo_category="food", estimated_value=None, start_date=date(2023, 10, 1), end_date=None,
         questionnaire_variant="simplified", suppliers=["eggs"]),
]

RISKS = [
    ("Fare for brudd på menneske- og arbeidstakerrettigheter i produksjon av solcellepanel",
     "Risk of human and labour rights violations in the production of solar panels",
     ["FORCED", "FOA", "HARSH", "OHS", "MARGIN"], ""),
    ("Risiko for brudd på god dyrevelferd i våre kontrakter (egg, kjøtt, meieriprodukter, "
     "animalske tekstiler som ull og skinn)",
     "Risk of poor animal welfare in our contracts (eggs, meat, dairy, animal textiles such as wool and leather)",
     ["ANIMAL"], "Norge"),
    ("Fare for brudd på menneske- og arbeidstakerrettigheter i produksjon av IKT- og AV-utstyr",
     "Risk of human and labour rights violations in the production of ICT and AV equipment",
     ["FORCED", "FOA", "CHILD", "HARSH", "OHS", "MARGIN"], "Globalt"),
    ("Miljøpåvirkning og klimagassutslipp ved bygge- og anleggsvirksomhet",
     "Environmental impact and greenhouse gas emissions from building and construction",
     ["ENV", "CLIMATE"], ""),
    ("Fare for arbeidslivskriminalitet, sosial dumping og annen utnyttelse av arbeidskraft i "
     "bygge- og anleggskontrakter",
     "Risk of work-related crime, social dumping and other exploitation of labour in building and construction contracts",
     ["FORCED", "FOA", "OHS", "WAGES", "HOURS", "EMPLOY", "CORR"], ""),
    ("Risiko for brudd på menneske- og arbeidstakerrettigheter i produksjon av varer, eksempelvis "
     "arbeidstøy, mat og drikke og byggevarer",
     "Risk of human and labour rights violations in the production of goods such as workwear, food and drink and building materials",
     ["FORCED", "FOA", "CHILD", "DISCR", "HARSH", "OHS", "WAGES", "HOURS", "EMPLOY", "MARGIN"], "Globalt"),
]


#: The demo buyers: the municipality of the seed report (its organisation number here is
#: invented), a fictional second municipality that shares a supplier with it, and a
#: fictional purchasing cooperation leading a joint workwear agreement for both.
BUYERS = [
    # key, name, org number, kind
    ("lillestrom", "Lillestrøm kommune", "923456708", BuyerKind.MUNICIPALITY),
    ("fjordvik", "Fjordvik kommune (demo)", "923456716", BuyerKind.MUNICIPALITY),
    ("cooperation", "Innkjøpssamarbeidet Romerike og Fjord (demo)", "923456724",
     BuyerKind.COOPERATION),
]
JOINT_REFERENCE = "IRF-2024-0001"


def _buyer(name: str, org_number: str, kind: BuyerKind) -> Buyer:
    buyer = db.session.scalar(select(Buyer).where(Buyer.org_number == org_number))
    if buyer is None:
        buyer = Buyer(name=name, org_number=org_number, kind=kind.value, is_ehn_member=True,
                      default_locale="nb", is_demo=True)
        db.session.add(buyer)
        db.session.flush()
    return buyer


def _user(email: str, name: str, role: Role, supplier: Supplier | None, password_hash: str,
          job_title: str = "", locale: str = "nb", buyer: Buyer | None = None) -> User:
    user = db.session.scalar(select(User).where(func.lower(User.email) == email))
    if user is None:
        user = User(email=email, name=name, role=role.value, supplier=supplier,
                    password_hash=password_hash, job_title=job_title, locale=locale,
                    buyer_id=buyer.id if buyer is not None and role != Role.SUPPLIER else None)
        db.session.add(user)
    return user


def _register(buyer: Buyer, supplier: Supplier) -> None:
    listed = db.session.execute(select(buyer_supplier).where(
        buyer_supplier.c.buyer_id == buyer.id, buyer_supplier.c.supplier_id == supplier.id)).first()
    if listed is None:
        db.session.execute(buyer_supplier.insert().values(buyer_id=buyer.id, supplier_id=supplier.id))


def load_demo_data() -> dict[str, int]:
    """Create whatever of the demo data is missing; return how many records were created."""
    created = {"suppliers": 0, "agreements": 0, "users": 0, "risks": 0, "rounds": 0}
    suppliers: dict[str, Supplier] = {}
    for key, name, org_number, city in SUPPLIERS:
        supplier = db.session.scalar(select(Supplier).where(Supplier.org_number == org_number))
        if supplier is None:
            supplier = Supplier(name=name, org_number=org_number, country="NO", city=city,
                                address="Demoveien 1", postal_code="2000", is_demo=True)
            db.session.add(supplier)
            created["suppliers"] += 1
        suppliers[key] = supplier

    buyers = {key: _buyer(name, org_number, kind) for key, name, org_number, kind in BUYERS}
    lillestrom = buyers["lillestrom"]
    password_hash = hash_password(DEMO_PASSWORD)
    before = db.session.scalar(select(func.count(User.id))) or 0
    admin = _user("admin@kommune.example", "Kari Nordmann (demo)", Role.ADMIN, None, password_hash,
                  job_title="Innkjøpssjef", buyer=lillestrom)
    reviewer = _user("fagansvarlig@kommune.example", "Ingrid Fagerli (demo)", Role.REVIEWER, None,
                     password_hash, job_title="Seniorrådgiver – fagansvarlig etisk handel",
                     buyer=lillestrom)
    _user("leverandor@arbeidsklaer.example", "Per Hansen (demo)", Role.SUPPLIER, suppliers["workwear"],
          password_hash, job_title="Bærekraftsansvarlig")
    _user("leverandor@solcelle.example", "Sara Lind (demo)", Role.SUPPLIER, suppliers["solar"],
          password_hash, job_title="Quality and sustainability manager", locale="en")
    db.session.flush()
    created["users"] = (db.session.scalar(select(func.count(User.id))) or 0) - before

    for spec in AGREEMENTS:
        spec = dict(spec)
        supplier_keys = spec.pop("suppliers")
        agreement = db.session.scalar(select(Agreement).where(
            Agreement.buyer_id == lillestrom.id, Agreement.reference == spec["reference"]))
        if agreement is None:
            agreement = Agreement(**spec, contract_manager=reviewer, buyer_id=lillestrom.id)
            agreement.suppliers = [suppliers[k] for k in supplier_keys]
            db.session.add(agreement)
            created["agreements"] += 1
    for supplier in suppliers.values():
        _register(lillestrom, supplier)

    if db.session.scalar(select(func.count(PriorityRisk.id)).where(
            PriorityRisk.buyer_id == lillestrom.id)) == 0:
        for position, (impact_nb, impact_en, themes, geography) in enumerate(RISKS, start=1):
            db.session.add(PriorityRisk(position=position, impact_nb=impact_nb, impact_en=impact_en,
                                        themes=themes, geography=geography, buyer_id=lillestrom.id))
            created["risks"] += 1
    db.session.flush()
    from portal.demo_followup import load_demo_followup

    created["rounds"] = load_demo_followup(reviewer, admin)
    created["agreements"] += _second_municipality(buyers["fjordvik"], suppliers, password_hash)
    created["agreements"] += _cooperation(buyers, suppliers, password_hash)
    from portal.demo_register import load_demo_register

    created.update(load_demo_register())
    _user("plattform@aktsom.example", "Mona Drift (demo)", Role.PLATFORM_ADMIN, None, password_hash,
          job_title="Driftsansvarlig Aktsom")
    db.session.flush()
    created["users"] = (db.session.scalar(select(func.count(User.id))) or 0) - before
    return created


def _second_municipality(buyer: Buyer, suppliers: dict[str, Supplier], password_hash: str) -> int:
    """Fjordvik kommune: its own staff and workwear agreement, with Lillestrøm's workwear supplier."""
    _user("admin@fjordvik.example", "Nils Berg (demo)", Role.ADMIN, None, password_hash,
          job_title="Innkjøpsleder", buyer=buyer)
    reviewer = _user("fagansvarlig@fjordvik.example", "Hanne Strand (demo)", Role.REVIEWER, None,
                     password_hash, job_title="Rådgiver bærekraftige anskaffelser", buyer=buyer)
    db.session.flush()
    reference = "FK-2024-0007"
    if db.session.scalar(select(Agreement).where(Agreement.buyer_id == buyer.id,
                                                 Agreement.reference == reference)) is not None:
        return 0
    agreement = Agreement(
        buyer_id=buyer.id, reference=reference, name_nb="Arbeidsklær for drift og renhold",
        name_en="Workwear for operations and cleaning", kind="framework", dfo_category="workwear",
        estimated_value=Decimal("4200000"), start_date=date(2024, 3, 1), end_date=date(2028, 2, 29),
        contract_manager=reviewer, qualification_requirement=True, contract_condition=True,
        social_dialogue_required=False, questionnaire_variant="full",
        product_scope="Arbeidsklær og verneklær",
    )
    agreement.suppliers = [suppliers["workwear"]]
    db.session.add(agreement)
    db.session.flush()
    _register(buyer, suppliers["workwear"])
    from portal.demo_followup import load_second_buyer_followup

    load_second_buyer_followup(agreement, buyer.id)
    return 1


def _cooperation(buyers: dict[str, Buyer], suppliers: dict[str, Supplier], password_hash: str) -> int:
    """The purchasing cooperation: a joint workwear agreement both municipalities take part in.

    Nordlys Arbeidsklær serves both municipalities on it. The cooperation followed it up in
    2024 (a document review; the supplier's self-assessment is reviewed, ready to accept),
    and found one deviation; both municipalities count that in their chapter 4 as joint
    follow-up.
    """
    cooperation = buyers["cooperation"]
    admin = _user("admin@innkjopssamarbeid.example", "Eirik Moen (demo)", Role.ADMIN, None,
                  password_hash, job_title="Leder for innkjøpssamarbeidet", buyer=cooperation)
    reviewer = _user("fagansvarlig@innkjopssamarbeid.example", "Laila Haugen (demo)", Role.REVIEWER,
                     None, password_hash, job_title="Rådgiver etisk handel, innkjøpssamarbeidet",
                     buyer=cooperation)
    db.session.flush()
    if db.session.scalar(select(Agreement).where(Agreement.buyer_id == cooperation.id,
                                                 Agreement.reference == JOINT_REFERENCE)) is not None:
        return 0
    agreement = Agreement(
        buyer_id=cooperation.id, reference=JOINT_REFERENCE,
        name_nb="Arbeidsklær – felles rammeavtale", name_en="Workwear – joint framework agreement",
        kind="framework", dfo_category="workwear", estimated_value=Decimal("18000000"),
        start_date=date(2024, 1, 1), end_date=date(2027, 12, 31), contract_manager=reviewer,
        qualification_requirement=True, contract_condition=True, social_dialogue_required=True,
        social_dialogue_wording=SOCIAL_DIALOGUE_WORDING, questionnaire_variant="full",
        product_scope="Arbeidsbukser og jakker\nVarselklær",
    )
    agreement.suppliers = [suppliers["workwear"]]
    agreement.participants = [buyers["lillestrom"], buyers["fjordvik"]]
    db.session.add(agreement)
    db.session.flush()
    _register(cooperation, suppliers["workwear"])
    from portal.demo_followup import load_joint_followup

    load_joint_followup(agreement, reviewer, admin)
    return 1

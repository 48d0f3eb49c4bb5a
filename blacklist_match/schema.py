"""Column names, kinds and codes: the one place where they are string literals.

Other modules import these constants instead of spelling column names themselves.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class IdKind(StrEnum):
    """What an identifier is (DESIGN.md section 3)."""

    RESIDENT_ID = "resident_id"
    RESIDENCE_PERMIT = "residence_permit"
    FOREIGN_PR = "foreign_pr"
    MASKED_RESIDENT_ID = "masked_resident_id"
    USCC = "uscc"
    ORG_CODE = "org_code"
    REG_NO = "reg_no"
    UNKNOWN = "unknown"


PERSON_ID_KINDS: Final = frozenset(
    {IdKind.RESIDENT_ID, IdKind.RESIDENCE_PERMIT, IdKind.FOREIGN_PR, IdKind.MASKED_RESIDENT_ID}
)
ENTITY_ID_KINDS: Final = frozenset({IdKind.USCC, IdKind.ORG_CODE, IdKind.REG_NO})


class Tier(StrEnum):
    """Match tiers, strongest first (DESIGN.md section 3)."""

    EXACT_ID = "exact_id"
    ID_CROSSWALK = "id_crosswalk"
    MASKED_ID_NAME = "masked_id_name"
    REGISTRY_LINK = "registry_link"
    FUZZY_ID_NAME = "fuzzy_id_name"
    NAME_ONLY = "name_only"


TIER_ORDER: Final[tuple[Tier, ...]] = tuple(Tier)
"""Tiers from strongest to weakest; a rule's ``min_tier`` admits this tier and those before it."""

TIER_RANK: Final = {tier.value: rank for rank, tier in enumerate(TIER_ORDER)}
"""Tier name -> rank (0 is the strongest)."""

REVIEW_ONLY_TIERS: Final = frozenset({Tier.FUZZY_ID_NAME, Tier.NAME_ONLY})
"""Evidence too weak to block on, whatever a rule says."""


class Category(StrEnum):
    """Article 10 restriction categories, in the Article's order."""

    SPECIFIC_INDUSTRY = "specific_industry"
    GOVERNMENT_SUPPORT = "government_support"
    OFFICE_QUALIFICATION = "office_qualification"
    MARKET_ACCESS = "market_access"
    HONOUR_AND_CREDIT = "honour_and_credit"
    SPECIAL_MARKET_TRANSACTION = "special_market_transaction"
    HIGH_CONSUMPTION = "high_consumption"


class Action(StrEnum):
    """Strength of a measure: prohibition, strict review, prudential reference."""

    BLOCK = "block"
    REVIEW = "review"
    NOTIFY = "notify"


class Scope(StrEnum):
    """Who a measure reaches (DESIGN.md section 5)."""

    DEBTOR = "debtor"
    DEBTOR_PERSON = "debtor_person"
    DEBTOR_AND_FOUR = "debtor_and_four"
    DEBTOR_AND_OFFICERS = "debtor_and_officers"


class Role(StrEnum):
    """Officer-registry roles."""

    LEGAL_REPRESENTATIVE = "legal_representative"
    MAIN_PERSON_IN_CHARGE = "main_person_in_charge"
    ACTUAL_CONTROLLER = "actual_controller"
    DIRECTLY_RESPONSIBLE = "directly_responsible"
    DIRECTOR = "director"
    SUPERVISOR = "supervisor"
    SENIOR_MANAGER = "senior_manager"


FOUR_ROLES: Final = frozenset(
    {
        Role.LEGAL_REPRESENTATIVE,
        Role.MAIN_PERSON_IN_CHARGE,
        Role.ACTUAL_CONTROLLER,
        Role.DIRECTLY_RESPONSIBLE,
    }
)
"""SPC consumption provisions Art. 3 para. 2: the four groups an entity's restriction binds."""

OFFICER_ROLES: Final = frozenset(
    {
        Role.LEGAL_REPRESENTATIVE,
        Role.ACTUAL_CONTROLLER,
        Role.DIRECTOR,
        Role.SUPERVISOR,
        Role.SENIOR_MANAGER,
        Role.MAIN_PERSON_IN_CHARGE,
    }
)
"""2016 opinions, credit and preferential support: the officers whose listing is a reference."""


class Link(StrEnum):
    """How a record's subject is tied to a listed debtor."""

    DEBTOR = "debtor"
    """The subject is the listed debtor."""
    OFFICER_OF_LISTED_ENTITY = "officer_of_listed_entity"
    """The subject is a person holding a registry role in a listed entity."""
    ENTITY_OF_LISTED_PERSON = "entity_of_listed_person"
    """The subject is an entity in which a listed person holds a registry role."""


class SubjectType(StrEnum):
    PERSON = "person"
    ENTITY = "entity"


RECORD_TYPES: Final = (
    "procurement",
    "subsidy",
    "appointment",
    "licence",
    "honour",
    "credit",
    "asset_transaction",
    "consumption",
)

# --- court list entries (canonical names, DESIGN.md section 4) ---------------------------
CASE_NO: Final = "case_no"
NAME: Final = "name"
GENDER: Final = "gender"
AGE: Final = "age"
ID_NUMBER: Final = "id_number"
LEGAL_REP: Final = "legal_rep"
COURT: Final = "court"
PROVINCE: Final = "province"
BASIS_DOC_NO: Final = "basis_doc_no"
FILED_ON: Final = "filed_on"
BASIS_ISSUER: Final = "basis_issuer"
OBLIGATION: Final = "obligation"
PERFORMANCE: Final = "performance"
CONDUCT: Final = "conduct"
PUBLISHED_ON: Final = "published_on"

LIST_COLUMNS: Final = (
    CASE_NO,
    NAME,
    GENDER,
    AGE,
    ID_NUMBER,
    LEGAL_REP,
    COURT,
    PROVINCE,
    BASIS_DOC_NO,
    FILED_ON,
    BASIS_ISSUER,
    OBLIGATION,
    PERFORMANCE,
    CONDUCT,
    PUBLISHED_ON,
)

LIST_LABELS: Final = {
    "案号": CASE_NO,
    "被执行人姓名/名称": NAME,
    "性别": GENDER,
    "年龄": AGE,
    "身份证号码/组织机构代码": ID_NUMBER,
    "法定代表人或者负责人姓名": LEGAL_REP,
    "执行法院": COURT,
    "省份": PROVINCE,
    "执行依据文号": BASIS_DOC_NO,
    "立案时间": FILED_ON,
    "做出执行依据单位": BASIS_ISSUER,
    "生效法律文书确定的义务": OBLIGATION,
    "被执行人的履行情况": PERFORMANCE,
    "失信被执行人行为具体情形": CONDUCT,
    "发布时间": PUBLISHED_ON,
}
"""Chinese labels of the publication's detail page -> canonical names."""

LIST_JSON_KEYS: Final = {
    "caseCode": CASE_NO,
    "iname": NAME,
    "sexy": GENDER,
    "age": AGE,
    "cardNum": ID_NUMBER,
    "businessEntity": LEGAL_REP,
    "courtName": COURT,
    "areaName": PROVINCE,
    "gistId": BASIS_DOC_NO,
    "regDate": FILED_ON,
    "gistUnit": BASIS_ISSUER,
    "duty": OBLIGATION,
    "performance": PERFORMANCE,
    "disruptTypeName": CONDUCT,
    "publishDate": PUBLISHED_ON,
}
"""JSON keys of the publication site (shixin/zxgk) -> canonical names."""

# --- removal notices -----------------------------------------------------------------------
REMOVED_ON: Final = "removed_on"
REASON: Final = "reason"

# --- officer registry ------------------------------------------------------------------------
ENTITY_ID: Final = "entity_id"
ENTITY_NAME: Final = "entity_name"
PERSON_NAME: Final = "person_name"
PERSON_ID: Final = "person_id"
ROLE: Final = "role"
START_DATE: Final = "start_date"
END_DATE: Final = "end_date"

# --- agency records ----------------------------------------------------------------------------
RECORD_ID: Final = "record_id"
AGENCY: Final = "agency"
RECORD_TYPE: Final = "record_type"
SUB_TYPE: Final = "sub_type"
SUBJECT_TYPE: Final = "subject_type"
SUBJECT_NAME: Final = "subject_name"
SUBJECT_ID: Final = "subject_id"
EVENT_DATE: Final = "event_date"
AMOUNT: Final = "amount"

RECORD_COLUMNS: Final = (
    RECORD_ID,
    AGENCY,
    RECORD_TYPE,
    SUB_TYPE,
    SUBJECT_TYPE,
    SUBJECT_NAME,
    SUBJECT_ID,
    EVENT_DATE,
    AMOUNT,
)

# --- derived on load: identifier classification and name keys ---------------------------------
ID_KIND: Final = "id_kind"
ID_NORM: Final = "id_norm"
ID_PROBLEM: Final = "id_problem"
ID_ALT_KIND: Final = "id_alt_kind"
ID_ALT_NORM: Final = "id_alt_norm"
ORG_CODE_KEY: Final = "org_code_key"
MASK_KEY: Final = "mask_key"
NAME_KEY: Final = "name_key"
NAME_KEY_NODOT: Final = "name_key_nodot"
NAME_CORE: Final = "name_core"
LEGAL_FORM: Final = "legal_form"
NAME_REGION: Final = "name_region"
ENTRY_ID: Final = "entry_id"
LISTED_FROM: Final = "listed_from"
LISTED_UNTIL: Final = "listed_until"
DEBTOR_TYPE: Final = "debtor_type"
LINK: Final = "link"
"""How a record's subject reaches a list entry: see :class:`Link`."""

# --- flags (DESIGN.md section 6), in report order -------------------------------------------------
RULE_ID: Final = "rule_id"
CATEGORY: Final = "category"
ACTION: Final = "action"
TIER: Final = "tier"
SCORE: Final = "score"
VIA: Final = "via"
DEBTOR_NAME: Final = "debtor_name"
BASIS: Final = "basis"
EXPLANATION: Final = "explanation"

FLAG_COLUMNS: Final = (
    RECORD_ID,
    CASE_NO,
    RULE_ID,
    CATEGORY,
    ACTION,
    TIER,
    SCORE,
    VIA,
    SUBJECT_NAME,
    SUBJECT_ID,
    DEBTOR_NAME,
    EVENT_DATE,
    LISTED_FROM,
    COURT,
    BASIS,
    EXPLANATION,
)

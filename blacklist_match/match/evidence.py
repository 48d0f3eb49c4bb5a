"""What each evidence code means, in the Chinese a flag's explanation uses.

Every candidate names its evidence with one of these codes; the report turns the code
into a clause of the explanation sentence.
"""

from __future__ import annotations

from typing import Final

from blacklist_match import schema as S

EVIDENCE_ZH: Final = {
    "id_equal": "证件号码与名单所列证件号码一致",
    "id_equal_after_15_to_18": "证件号码与名单所列证件号码一致（15位旧号升位为18位后比对）",
    "uscc_contains_org_code": "统一社会信用代码第9至17位与名单所列组织机构代码一致",
    "org_code_in_uscc": "组织机构代码与名单所列统一社会信用代码第9至17位一致",
    "masked_id_compatible_name_equal": (
        "身份证号与名单公布的隐去出生月日的号码相容（可见位一致，出生月日满足校验位）且姓名一致"
    ),
    "masked_id_compatible_name_equal_age_consistent": (
        "身份证号与名单公布的隐去出生月日的号码相容（可见位一致，出生月日满足校验位），"
        "姓名一致且与公布年龄相符"
    ),
    "officer_of_listed_entity_id_equal": (
        "证件号码与登记信息中该被执行单位任职人员的证件号码一致（任职在业务发生日有效）"
    ),
    "entity_officer_is_listed_person_id_equal": (
        "单位代码与登记信息中的单位一致，该单位任职人员（任职在业务发生日有效）的证件号码"
        "与名单所列证件号码一致"
    ),
    "entity_officer_is_listed_person_masked_id_name": (
        "单位代码与登记信息中的单位一致，该单位任职人员（任职在业务发生日有效）的身份证号"
        "与名单公布的隐去出生月日的号码相容且姓名一致"
    ),
    "id_one_edit_name_equal": (
        "证件号码校验不通过，与名单所列证件号码仅差一位或相邻两位颠倒，且姓名一致"
        "（疑似录入错误，需人工核实）"
    ),
    "masked_id_one_edit_name_equal": (
        "证件号码校验不通过，与名单公布的隐去出生月日的号码仅差一位或相邻两位颠倒，且姓名一致"
        "（疑似录入错误，需人工核实）"
    ),
    "person_name_equal_no_id": (
        "姓名与名单所列姓名一致，双方均无可用证件号码（仅姓名相同，需人工核实）"
    ),
    "person_name_equal_id_not_given": (
        "姓名与名单所列姓名一致，未提供证件号码（名单所列人员有证件号码，需提供证件号码方可确认）"
    ),
    "company_core_name_equal_no_id": (
        "单位名称（去除组织形式和地名后）与名单所列名称一致，一方无可用单位代码（需人工核实）"
    ),
    "company_core_name_similar_no_id": (
        "单位名称（去除组织形式和地名后）与名单所列名称相似，一方无可用单位代码（需人工核实）"
    ),
    "company_core_name_equal_ids_not_comparable": (
        "单位名称（去除组织形式和地名后）与名单所列名称一致，一方仅有注册号、另一方为组织机构代码"
        "或统一社会信用代码，无法比对（需人工核实）"
    ),
    "company_core_name_similar_ids_not_comparable": (
        "单位名称（去除组织形式和地名后）与名单所列名称相似，一方仅有注册号、另一方为组织机构代码"
        "或统一社会信用代码，无法比对（需人工核实）"
    ),
}

ROLE_ZH: Final = {
    S.Role.LEGAL_REPRESENTATIVE.value: "法定代表人",
    S.Role.MAIN_PERSON_IN_CHARGE.value: "主要负责人",
    S.Role.ACTUAL_CONTROLLER.value: "实际控制人",
    S.Role.DIRECTLY_RESPONSIBLE.value: "影响债务履行的直接责任人员",
    S.Role.DIRECTOR.value: "董事",
    S.Role.SUPERVISOR.value: "监事",
    S.Role.SENIOR_MANAGER.value: "高级管理人员",
}
"""Registry roles as the explanation names them."""

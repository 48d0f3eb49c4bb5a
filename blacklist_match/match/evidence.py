"""What each evidence code means, in the Chinese a flag's explanation uses.

Every candidate names its evidence with one of these codes; the report turns the code
into a clause of the explanation sentence.
"""

from __future__ import annotations

from typing import Final

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
}

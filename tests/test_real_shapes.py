"""Real shapes of the published list (DOMAIN.md 1.3, 5, 6) that the generator does not make.

Every debtor here is fictional; identifiers get valid check characters from the package's
own codecs. Each case is screened in batch (``Screener.screen``) and checked alone
(``Screener.check``), and both must give the expected listed cases.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from blacklist_match import Screener
from blacklist_match.ids import classify, classify_expr, org_code, reg_no, resident_id, uscc

HEADER = (
    "案号", "被执行人姓名/名称", "性别", "年龄", "身份证号码/组织机构代码",
    "法定代表人或者负责人姓名", "执行法院", "省份", "立案时间", "失信被执行人行为具体情形",
    "发布时间",
)  # fmt: skip


def person_id(region: str, born: str, sequence: str) -> str:
    body = f"{region}{born}{sequence}"
    return body + resident_id.calc_check_digit(body)


def org(body: str) -> str:
    return body + org_code.calc_check_digit(body)


def uscc_of(prefix: str, region: str, organisation: str) -> str:
    body = prefix + region + organisation
    return body + uscc.calc_check_digit(body)


def reg_number(body: str) -> str:
    return body + reg_no.calc_check_digit(body)


def screener_for(tmp_path: Path, entries: list[tuple[str, ...]]) -> Screener:
    """``entries``: (case number, name, sex, age, ID, legal representative)."""
    path = tmp_path / "list.csv"
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for case, name, sex, age, number, rep in entries:
            writer.writerow(
                [case, name, sex, age, number, rep, "某县人民法院", "山东", "2019年01月05日",
                 "违反财产报告制度", "2019年02月01日"]
            )  # fmt: skip
    return Screener.from_files(list=[path])


def listed_cases(
    screener: Screener, records: list[tuple[str, str, str, str | None]]
) -> dict[str, tuple[set[tuple[str, str]], set[tuple[str, str]]]]:
    """record id -> ((case, tier) pairs of the batch screen, the same from ``check``)."""
    on = date(2020, 1, 1)
    frame = pl.DataFrame(
        [
            {
                "record_id": record_id, "agency": "a", "record_type": "consumption",
                "sub_type": "flight", "subject_type": subject_type, "subject_name": name,
                "subject_id": number, "event_date": on, "amount": 1000.0,
            }
            for record_id, subject_type, name, number in records
        ]
    )  # fmt: skip
    flags = screener.screen(frame, show_ids=True)
    answers = {}
    for record_id, subject_type, name, number in records:
        mine = flags.filter(pl.col("record_id") == record_id)
        batch = set(zip(mine["case_no"].to_list(), mine["tier"].to_list(), strict=True))
        decision = screener.check(number, name, subject_type=subject_type, date=on)
        alone = {(listing.case_no, listing.tier) for listing in decision.listings}
        answers[record_id] = (batch, alone)
    return answers


# --- masks written with other characters -------------------------------------------------

DEBTOR = person_id("370102", "19850317", "123")
NAMESAKE = person_id("370102", "19850317", "124")


@pytest.mark.parametrize(
    "written",
    [
        DEBTOR[:10] + "××××" + DEBTOR[14:],
        DEBTOR[:10] + "xxxx" + DEBTOR[14:],
        DEBTOR[:10] + "XXXX" + DEBTOR[14:],
        DEBTOR[:11] + "xxxx" + DEBTOR[14:],
        DEBTOR[:10] + "✕✕✕✕" + DEBTOR[14:],
    ],
)
def test_a_mask_written_with_x_or_times_is_a_mask(tmp_path: Path, written: str) -> None:
    canonical = DEBTOR[:10] + "****" + DEBTOR[14:]
    assert classify(written)[:3] == ("masked_resident_id", canonical, None)
    vectorised = pl.DataFrame({"id": [written]}).select(classify_expr(pl.col("id")))
    assert vectorised.unnest("id").row(0)[:3] == ("masked_resident_id", canonical, None)
    screener = screener_for(tmp_path, [("(2019)鲁0102执1号", "钱梓涵", "女", "33", written, "")])
    answers = listed_cases(
        screener, [("R1", "person", "钱梓涵", DEBTOR), ("R2", "person", "钱梓涵", NAMESAKE)]
    )
    expected = {("(2019)鲁0102执1号", "masked_id_name")}
    assert answers["R1"] == (expected, expected)
    assert answers["R2"] == (set(), set())


# --- masks in other patterns than the publication's --------------------------------------


@pytest.mark.parametrize(
    "written",
    [
        DEBTOR[:4] + "*" * 10 + DEBTOR[14:],
        DEBTOR[:6] + "*" * 8 + DEBTOR[14:],
        DEBTOR[:6] + "****" + DEBTOR[14:],
        DEBTOR[:6] + "××××" + DEBTOR[14:],
    ],
)
def test_a_mask_in_another_pattern_is_a_review_candidate_not_a_miss(
    tmp_path: Path, written: str
) -> None:
    screener = screener_for(tmp_path, [("(2019)鲁0102执1号", "钱梓涵", "女", "33", written, "")])
    answers = listed_cases(
        screener,
        [
            ("R1", "person", "钱梓涵", DEBTOR),
            ("R2", "person", "钱梓涵", NAMESAKE),  # other sequence number: visible part differs
            ("R3", "person", "钱梓涵", person_id("370102", "19600101", "123")),  # age 59, not 33
            ("R4", "person", "钱梓琪", DEBTOR),  # other name
        ],
    )
    expected = {("(2019)鲁0102执1号", "name_only")}
    assert answers["R1"] == (expected, expected)
    for other in ("R2", "R3", "R4"):
        assert answers[other] == (set(), set()), other


# --- branches ----------------------------------------------------------------------------


def test_a_listed_branch_does_not_flag_its_head_office_by_a_close_name(tmp_path: Path) -> None:
    head_office = "山东泉城金穗农业科技发展有限公司"
    branch = head_office + "历下分公司"  # cores 10 and 15 characters: ratio exactly 80
    screener = screener_for(tmp_path, [("(2019)鲁0102执21号", branch, "", "", "", "周五")])
    answers = listed_cases(
        screener,
        [
            ("R1", "entity", head_office, uscc_of("91", "370102", org("55512345"))),
            ("R2", "entity", head_office, None),
            ("R3", "entity", branch, None),
        ],
    )
    assert answers["R1"] == (set(), set())
    assert answers["R2"] == (set(), set())
    expected = {("(2019)鲁0102执21号", "name_only")}
    assert answers["R3"] == (expected, expected)


# --- a registration number against a USCC -----------------------------------------------


@pytest.mark.parametrize("representative", ["周六", ""])
def test_a_registration_number_against_a_uscc_pairs_by_name_for_review(
    tmp_path: Path, representative: str
) -> None:
    """An old entry shows the company's 15-digit registration number (注册号); the agency holds
    its USCC. The numbers cannot be compared, so the name decides, for review only; two
    registration numbers, or two organisation codes, that differ still rule a pair out.
    The number is also a valid old 15-digit resident ID: with no legal representative
    published, the company name says which it is."""
    listed_reg = reg_number("37010200012345")
    assert classify(listed_reg)[0] == "resident_id"  # read alone, it is a person's old ID
    name = "济南鲁信精密机械有限公司"
    screener = screener_for(
        tmp_path,
        [
            ("(2016)鲁0102执31号", name, "", "", listed_reg, representative),
            ("(2016)鲁0102执32号", "济南华泰商贸有限公司", "", "", org("66612345"), "吴七"),
        ],
    )
    answers = listed_cases(
        screener,
        [
            ("R1", "entity", name, uscc_of("91", "370102", org("55512345"))),
            ("R2", "entity", name, org("55512345")),
            ("R3", "entity", name, reg_number("37010200054321")),  # another registration number
            ("R4", "entity", name, listed_reg),
            ("R5", "entity", "济南华泰商贸有限公司", reg_number("37010200099999")),
            ("R6", "entity", "济南华泰商贸有限公司", org("77712345")),  # another organisation code
        ],
    )
    review = {("(2016)鲁0102执31号", "name_only")}
    assert answers["R1"] == (review, review)
    assert answers["R2"] == (review, review)
    assert answers["R3"] == (set(), set())
    assert answers["R4"] == ({("(2016)鲁0102执31号", "exact_id")},) * 2
    assert answers["R5"] == ({("(2016)鲁0102执32号", "name_only")},) * 2
    assert answers["R6"] == (set(), set())
    flags = screener.screen(
        pl.DataFrame(
            {
                "record_id": ["R1"], "agency": ["a"], "record_type": ["consumption"],
                "sub_type": ["flight"], "subject_type": ["entity"], "subject_name": [name],
                "subject_id": [uscc_of("91", "370102", org("55512345"))],
                "event_date": [date(2020, 1, 1)], "amount": [1000.0],
            }
        )
    )  # fmt: skip
    assert set(flags["evidence"]) == {"company_core_name_equal_ids_not_comparable"}
    assert set(flags["action"]) == {"review"}


def test_a_shop_listed_under_its_owners_old_id_still_matches_the_owner(tmp_path: Path) -> None:
    """A shop's name (…商店) chooses only between two valid readings of a number: an old
    15-digit ID that is no valid registration number stays the owner's ID."""
    old_id = "370102850317123"
    assert classify(old_id, "entity")[0] == "reg_no"  # read as a company's, it is invalid
    screener = screener_for(
        tmp_path, [("(2019)鲁0102执41号", "济南历下鑫源商店", "", "", old_id, "")]
    )
    answers = listed_cases(
        screener,
        [
            ("R1", "person", "张三", person_id("370102", "19850317", "123")),
            ("R2", "person", "张三", person_id("370102", "19850317", "124")),
        ],
    )
    assert answers["R1"] == ({("(2019)鲁0102执41号", "exact_id")},) * 2
    assert answers["R2"] == (set(), set())


# --- a person's old ID that is also a valid registration number --------------------------

AMBIGUOUS_OLD_ID = "370102850317104"  # a valid old 15-digit ID and a valid registration number


def test_a_given_name_ending_like_an_organisation_keeps_the_persons_reading(
    tmp_path: Path,
) -> None:
    """王建社 and 张书院 end like organisations' names (社, 院) but are persons': their
    number's person reading stays first, so the masked and typo tiers still see it (a
    company form, ``…有限公司``, would choose the registration number)."""
    full = classify(AMBIGUOUS_OLD_ID).value
    assert full is not None and classify(AMBIGUOUS_OLD_ID).alt_kind == "reg_no"
    transposed = full[:12] + full[13] + full[12] + full[14:]
    screener = screener_for(
        tmp_path,
        [
            ("(2019)鲁0102执51号", "张书院", "男", "33", full[:10] + "****" + full[14:], ""),
            ("(2019)鲁0102执52号", "王建社", "", "", AMBIGUOUS_OLD_ID, ""),
        ],
    )
    answers = listed_cases(
        screener,
        [
            ("R1", None, "张书院", AMBIGUOUS_OLD_ID),  # type not given: the name must not decide
            ("R2", "person", "王建社", transposed),
        ],
    )
    same_number = ("(2019)鲁0102执52号", "exact_id")  # 王建社 is listed under R1's very number
    assert answers["R1"] == ({("(2019)鲁0102执51号", "masked_id_name"), same_number},) * 2
    assert answers["R2"] == ({("(2019)鲁0102执52号", "fuzzy_id_name")},) * 2


def test_an_old_id_read_both_ways_gives_one_evidence_in_batch_and_check(tmp_path: Path) -> None:
    screener = screener_for(
        tmp_path, [("(2019)鲁0102执53号", "王建社", "", "", AMBIGUOUS_OLD_ID, "")]
    )
    record = pl.DataFrame(
        {
            "record_id": ["R1"], "agency": ["a"], "record_type": ["consumption"],
            "sub_type": ["flight"], "subject_type": [None], "subject_name": ["王建社"],
            "subject_id": [AMBIGUOUS_OLD_ID], "event_date": [date(2020, 1, 1)],
            "amount": [1000.0],
        },
        schema_overrides={"subject_type": pl.String},
    )  # fmt: skip
    batch = set(screener.screen(record)["evidence"])
    decision = screener.check(
        AMBIGUOUS_OLD_ID, "王建社", action="consumption/flight", date=date(2020, 1, 1)
    )
    alone = {flag.evidence for flag in decision.flags}
    assert batch == alone == {"id_equal_after_15_to_18"}

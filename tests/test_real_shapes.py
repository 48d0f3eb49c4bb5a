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


@pytest.mark.parametrize(
    ("listed", "representative", "action", "evidence"),
    [
        ("王建社", "", "consumption/flight", "id_equal_after_15_to_18"),
        # a company listed under the digits as its registration number (its legal
        # representative says it is one): equal as they stand, a reading never upgraded
        ("济南鲁信精密机械有限公司", "王建社", "credit/bank_loan", "id_equal"),
    ],
)
def test_an_old_id_read_both_ways_gives_one_evidence_in_batch_and_check(
    tmp_path: Path, listed: str, representative: str, action: str, evidence: str
) -> None:
    screener = screener_for(
        tmp_path, [("(2019)鲁0102执53号", listed, "", "", AMBIGUOUS_OLD_ID, representative)]
    )
    record_type, sub_type = action.split("/")
    record = pl.DataFrame(
        {
            "record_id": ["R1"], "agency": ["a"], "record_type": [record_type],
            "sub_type": [sub_type], "subject_type": [None], "subject_name": [listed],
            "subject_id": [AMBIGUOUS_OLD_ID], "event_date": [date(2020, 1, 1)],
            "amount": [1000.0],
        },
        schema_overrides={"subject_type": pl.String},
    )  # fmt: skip
    batch = set(screener.screen(record)["evidence"])
    decision = screener.check(AMBIGUOUS_OLD_ID, listed, action=action, date=date(2020, 1, 1))
    alone = {flag.evidence for flag in decision.flags}
    assert batch == alone == {evidence}


# --- the 19-character aggregator mask shows one month digit (DOMAIN.md 1.3) ---------------


def _same_tail_born_in(region: str, year: int, months: range, sequence: str) -> str:
    """A full ID born in one of ``months`` whose check character is that of May 7th."""
    wanted = person_id(region, f"{year}0507", sequence)[-1]
    for month in months:
        for day in range(1, 29):
            number = person_id(region, f"{year}{month:02d}{day:02d}", sequence)
            if number[-1] == wanted:
                return number
    raise AssertionError("no date with that check character")


def test_a_full_id_against_the_month_digit_a_19_character_mask_shows_is_not_the_person(
    tmp_path: Path,
) -> None:
    """``53272219751****0914`` shows the tens digit of the month (1: October to December):
    a full ID born in May with the same other visible characters is someone else, in the
    masked tier and through the registry alike; one born in November still matches."""
    born_in_may = person_id("532722", "19750507", "091")
    born_late = _same_tail_born_in("532722", 1975, range(10, 13), "091")
    assert born_late[-4:] == born_in_may[-4:]
    mask19 = born_in_may[:10] + "1****" + born_in_may[14:]
    company, other = org("61984891"), org("60056316")
    screener = screener_for(tmp_path, [("(2019)滇2627执9号", "王芳", "女", "", mask19, "")])
    answers = listed_cases(
        screener,
        [("MAY", "person", "王芳", born_in_may), ("LATE", "person", "王芳", born_late)],
    )
    assert answers["MAY"] == (set(), set())
    expected = {("(2019)滇2627执9号", "masked_id_name")}
    assert answers["LATE"] == (expected, expected)
    registry = tmp_path / "officers.csv"
    registry.write_text(
        "entity_id,entity_name,person_name,person_id,role,start_date,end_date\n"
        f"{company},文山恒达商贸有限公司,王芳,{born_in_may},legal_representative,2010-01-01,\n"
        f"{other},文山永安建材有限公司,王芳,{born_late},legal_representative,2010-01-01,\n",
        encoding="utf-8",
    )
    linked = Screener.from_files(list=[tmp_path / "list.csv"], officers=[registry])
    companies = {"CO": ("文山恒达商贸有限公司", company), "OTHER": ("文山永安建材有限公司", other)}
    on = date(2020, 1, 1)
    honours = pl.DataFrame(
        [
            {
                "record_id": record_id, "agency": "a", "record_type": "honour",
                "sub_type": "civilised_unit", "subject_type": "entity", "subject_name": name,
                "subject_id": number, "event_date": on, "amount": None,
            }
            for record_id, (name, number) in companies.items()
        ],
        schema_overrides={"amount": pl.Float64},
    )  # fmt: skip
    flags = linked.screen(honours, show_ids=True)
    for record_id, (name, number) in companies.items():
        mine = flags.filter(pl.col("record_id") == record_id)
        batch = set(zip(mine["case_no"], mine["tier"], mine["via"], strict=True))
        decision = linked.check(
            number, name, subject_type="entity", action="honour/civilised_unit", date=on
        )
        alone = {(f.case_no, f.tier, f.via) for f in decision.flags}
        expected = (
            {("(2019)滇2627执9号", "registry_link", "legal_representative")}
            if record_id == "OTHER"
            else set()
        )
        assert (batch, alone) == (expected, expected), record_id


# --- a debtor listed again in the same case after a removal ------------------------------


def test_a_debtor_listed_again_after_a_removal_is_listed_in_check_as_in_batch(
    tmp_path: Path,
) -> None:
    """The case's first listing ended on its removal; the second publication lists the
    debtor again under the same entry. A record before the removal and one after the
    second listing are flagged, one between is not, in batch and in ``check`` alike."""
    debtor = person_id("370102", "19800315", "123")
    mask = debtor[:10] + "****" + debtor[14:]
    case = "(2019)鲁0102执100号"
    lists = []
    for published in ("2019年01月10日", "2021年01月05日"):
        path = tmp_path / f"list-{len(lists)}.csv"
        with path.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(HEADER)
            writer.writerow(
                [case, "孙磊", "男", "", mask, "", "某县人民法院", "山东", "2018年12月01日",
                 "违反财产报告制度", published]
            )  # fmt: skip
        lists.append(path)
    removals = tmp_path / "removals.csv"
    removals.write_text(f"case_no,removed_on,reason\n{case},2020-06-01,履行完毕\n", "utf-8")
    screener = Screener.from_files(list=lists, removals=[removals])
    days = {"BEFORE": date(2020, 5, 31), "BETWEEN": date(2020, 8, 1), "AGAIN": date(2021, 3, 1)}
    frame = pl.DataFrame(
        [
            {
                "record_id": record_id, "agency": "a", "record_type": "consumption",
                "sub_type": "flight", "subject_type": "person", "subject_name": "孙磊",
                "subject_id": debtor, "event_date": day, "amount": 1000.0,
            }
            for record_id, day in days.items()
        ]
    )  # fmt: skip
    flags = screener.screen(frame, show_ids=True)
    for record_id, day in days.items():
        batch = flags.filter(pl.col("record_id") == record_id)
        decision = screener.check(debtor, "孙磊", action="consumption/flight", date=day)
        assert sorted(batch["rule_id"]) == sorted(f.rule_id for f in decision.flags), record_id
        assert decision.restricted is (record_id != "BETWEEN"), record_id
        assert [f.listed_from for f in decision.listings] == (
            []
            if record_id == "BETWEEN"
            else [date(2019, 1, 10) if record_id == "BEFORE" else date(2021, 1, 5)]
        )


# --- removal notices naming one debtor of a shared case ----------------------------------


@pytest.mark.parametrize("named", ["full_id", "mask", "name", "nobody"])
def test_a_removal_naming_one_debtor_of_a_shared_case_ends_that_debtor_alone(
    tmp_path: Path, named: str
) -> None:
    """A case lists a person under a masked number and a company. A notice giving the
    person's full number (which the list never shows), the mask, or the name ends the
    person alone; one naming a debtor the case does not have ends nothing and is reported,
    by the load and by the command."""
    import shutil
    import subprocess
    import sys

    from blacklist_match.store import Store

    debtor = person_id("370102", "19800315", "123")
    other = person_id("370102", "19800316", "123")  # another person: not in the case
    case = "(2019)鲁0102执100号"
    path = tmp_path / "list.csv"
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for name, number, rep in (
            ("孙磊", debtor[:10] + "****" + debtor[14:], ""),
            ("济南泉城机电有限公司", org("12345678"), "孙磊"),
        ):
            writer.writerow(
                [case, name, "", "", number, rep, "某县人民法院", "山东", "2018年12月01日",
                 "违反财产报告制度", "2019年01月10日"]
            )  # fmt: skip
    given = {
        "full_id": (debtor, ""),
        "mask": (debtor[:10] + "****" + debtor[14:], "孫磊"),
        "name": ("", "孫磊"),  # traditional script
        "nobody": (other, "孙磊"),
    }[named]
    removals = tmp_path / "removals.csv"
    removals.write_text(
        f"case_no,removed_on,reason,id_number,name\n{case},2020-06-01,履行完毕,{given[0]},"
        f"{given[1]}\n",
        encoding="utf-8",
    )
    db = tmp_path / "r.duckdb"
    with Store.open(db) as store:
        store.ingest_list(path)
        report = store.ingest_removals(removals)
        ended = store.con.execute(
            "SELECT name, listed_until FROM list_entries ORDER BY name"
        ).fetchall()
    person_end = None if named == "nobody" else date(2020, 6, 1)
    assert ended == [("孙磊", person_end), ("济南泉城机电有限公司", None)]
    assert (report.ended, report.unmatched) == ((0, 1) if named == "nobody" else (1, 0))
    command = shutil.which("blacklist-match", path=str(Path(sys.executable).parent))
    assert command
    again = tmp_path / "again.csv"  # the same notice in another file, through the command
    again.write_text(removals.read_text(encoding="utf-8"), encoding="utf-8")
    fresh = tmp_path / "c.duckdb"
    for kind, file in (("list", path), ("removals", again)):
        done = subprocess.run(
            [command, "ingest", kind, str(file), "--db", str(fresh)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
    assert ("name a debtor" in done.stdout) is (named == "nobody")


# --- an all-digit USCC that is also a valid person number --------------------------------


def test_a_companys_uscc_that_also_reads_as_a_person_number_is_its_uscc(tmp_path: Path) -> None:
    """``91 320119 850101334 6`` passes the USCC check and, read as a new foreign permanent
    resident number, the person check too (born 1985-01-01). Where the subject is known to
    be an entity (a record's type, an entry's legal representative) it is the USCC: it
    cross-walks to the organisation code inside it, both ways."""
    code = org("85010133")
    number = uscc_of("91", "320119", code)
    assert classify(number).kind == "foreign_pr"
    assert classify(number, "entity").kind == "uscc"
    listed_uscc = screener_for(
        tmp_path, [("(2019)苏0102执7号", "南京金陵精工有限公司", "", "", number, "李明")]
    )
    answers = listed_cases(
        listed_uscc,
        [("BY_CODE", "entity", "南京金陵精工有限公司", code[:8] + "-" + code[8:]),
         ("BY_USCC", "entity", "南京金陵精工有限公司", number)],
    )  # fmt: skip
    case = "(2019)苏0102执7号"
    assert answers["BY_CODE"] == ({(case, "id_crosswalk")}, {(case, "id_crosswalk")})
    assert answers["BY_USCC"] == ({(case, "exact_id")}, {(case, "exact_id")})
    (tmp_path / "code").mkdir()
    listed_code = screener_for(
        tmp_path / "code", [("(2019)苏0102执8号", "南京金陵精工有限公司", "", "", code, "李明")]
    )
    answers = listed_cases(listed_code, [("R", "entity", "南京金陵精工有限公司", number)])
    case = "(2019)苏0102执8号"
    assert answers["R"] == ({(case, "id_crosswalk")}, {(case, "id_crosswalk")})


# --- a minor on the list: a data error (DOMAIN.md 2.3) -----------------------------------


def test_a_listed_minor_is_loaded_as_published_and_the_load_says_so(tmp_path: Path) -> None:
    """Minors must not be listed: one on the list is a data error. The entries load as
    published (an agency acts on the court's list) and the load counts them: a full ID
    that makes the debtor 10 on the publication day, a published age of 15; an adult
    whose mask hides the birthday is not counted."""
    from blacklist_match.store import LISTED_MINOR, Store

    child = person_id("370102", "20100101", "123")
    adult = person_id("370102", "19800315", "124")
    screener_for(
        tmp_path,
        [
            ("(2020)鲁0102执1号", "孙小明", "男", "", child, ""),
            ("(2020)鲁0102执2号", "孙小红", "女", "15", adult[:10] + "****" + adult[14:], ""),
            ("(2020)鲁0102执3号", "孙大明", "男", "38", adult[:10] + "****" + adult[14:], ""),
        ],
    )
    with Store.open(tmp_path / "m.duckdb") as store:
        report = store.ingest_list(tmp_path / "list.csv")
        loaded = store.con.execute("SELECT count(*) FROM list_entries").fetchall()[0][0]
    assert (loaded, report.warnings) == (3, {LISTED_MINOR: 2})

"""Synthetic, labelled data: a court list, removals, an officer registry and agency records.

Nothing here is a real person or company: names are drawn from common surnames and
given-name characters, identifiers are random with valid check characters. The data
carries the list's real shapes (DOMAIN.md): masked person IDs with age, organisation codes
with and without hyphens beside USCCs, 15-digit old IDs in agency records, several cases
per debtor, removals, namesakes with other IDs, traditional-script names, full-width
digits. ``truth`` says, per record and entry, whether they are the same subject, so
accuracy can be measured.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Final

import polars as pl

from blacklist_match.ids import org_code, resident_id, uscc

SURNAMES: Final = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
    "龚邵万钱严覃武戴莫孔向汤"
)
GIVEN: Final = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕辉鹏建国志斌俊峰波宇"
    "浩凯健晨欣怡雪梅琳丹婷慧颖倩亮飞鑫浩然子轩梓涵"
)
TRADITIONAL: Final = {
    "张": "張",
    "陈": "陳",
    "刘": "劉",
    "黄": "黃",
    "赵": "趙",
    "伟": "偉",
    "丽": "麗",
    "华": "華",
    "红": "紅",
    "国": "國",
    "军": "軍",
    "鹏": "鵬",
    "辉": "輝",
}
MINORITY_NAMES: Final = ("艾哈迈德·买买提", "阿依古丽·吐尔逊", "热合曼·艾力", "古丽娜尔·阿不都")
REGIONS: Final = (
    "110105",
    "310115",
    "440305",
    "420902",
    "342301",
    "320923",
    "513521",
    "410826",
    "500103",
    "450322",
    "120110",
    "610104",
    "330106",
    "370202",
)
REGION_NAMES: Final = {
    "110105": "北京市",
    "310115": "上海市",
    "440305": "深圳市",
    "420902": "孝感市",
    "342301": "宿州市",
    "320923": "阜宁县",
    "513521": "石柱县",
    "410826": "温县",
    "500103": "重庆市",
    "450322": "临桂县",
    "120110": "天津市",
    "610104": "西安市",
    "330106": "杭州市",
    "370202": "青岛市",
}
COMPANY_CORES: Final = (
    "腾飞",
    "华信",
    "鑫源",
    "宏达",
    "恒通",
    "金桥",
    "瑞丰",
    "中辰",
    "博远",
    "嘉禾",
    "永盛",
    "天成",
    "力拓",
    "汇丰源",
    "润泽",
    "长青",
    "新航",
    "锦程",
    "广联",
    "正元",
)
CORE_CHARS: Final = "".join(COMPANY_CORES)
"""Characters company cores are drawn from (two each), so unrelated firms rarely collide."""
TRADES: Final = (
    "科技",
    "建设工程",
    "商贸",
    "食品",
    "医药",
    "化工",
    "房地产开发",
    "物流",
    "实业",
    "机械",
)
FORMS: Final = ("有限公司", "有限责任公司", "股份有限公司")
COURTS: Final = (
    ("北京市朝阳区人民法院", "京0105"),
    ("上海市浦东新区人民法院", "沪0115"),
    ("深圳市南山区人民法院", "粤0305"),
    ("孝感市孝南区人民法院", "鄂0902"),
    ("象州县人民法院", "桂1322"),
    ("重庆市渝中区人民法院", "渝0103"),
)
PROVINCE_SHORT: Final = ("北京", "上海", "广东", "湖北", "广西", "重庆")
CONDUCTS: Final = (
    "有履行能力而拒不履行生效法律文书确定义务",
    "违反财产报告制度",
    "违反限制消费令",
    "被执行人无正当理由拒不履行执行和解协议",
)
FOUR_ROLES: Final = (
    "legal_representative",
    "main_person_in_charge",
    "actual_controller",
    "directly_responsible",
)
OTHER_ROLES: Final = ("director", "supervisor", "senior_manager")
RECORD_KINDS: Final = (
    ("procurement", "government_procurement_bid", "entity"),
    ("procurement", "government_project_tender", "entity"),
    ("subsidy", "employment_subsidy", "entity"),
    ("subsidy", "technology_grant", "entity"),
    ("subsidy", "agriculture_subsidy", "person"),
    ("appointment", "soe_director", "person"),
    ("appointment", "company_officer", "person"),
    ("appointment", "civil_servant", "person"),
    ("licence", "food_production", "entity"),
    ("licence", "hazardous_chemicals", "entity"),
    ("licence", "construction_qualification", "entity"),
    ("honour", "civilised_unit", "entity"),
    ("honour", "model_worker", "person"),
    ("credit", "bank_loan", "entity"),
    ("credit", "bank_loan", "person"),
    ("asset_transaction", "land_use_right", "entity"),
    ("asset_transaction", "state_asset_transfer", "entity"),
    ("consumption", "flight", "person"),
    ("consumption", "train_g", "person"),
    ("consumption", "star_hotel", "person"),
    ("consumption", "groceries", "person"),
    ("consumption", "train_d_second_class", "person"),
    ("consumption", "medical", "person"),
)


@dataclass
class Person:
    name: str
    birth: date
    id18: str
    region: str

    @property
    def masked(self) -> str:
        return f"{self.id18[:10]}****{self.id18[14:]}"

    @property
    def id15(self) -> str | None:
        if not (1900 <= self.birth.year <= 1999):
            return None
        return self.id18[:6] + self.id18[8:17]


@dataclass
class Company:
    name: str
    org_code: str
    uscc: str
    officers: dict[str, Person] = field(default_factory=dict)


class Generator:
    """Seeded generator of people, companies and the files built from them."""

    def __init__(self, seed: int = 7, today: date = date(2026, 11, 1)) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - synthetic data, not secrets
        self.today = today
        self._ids: set[str] = set()

    def person_name(self) -> str:
        rng = self.rng
        if rng.random() < 0.02:
            return rng.choice(MINORITY_NAMES)
        given = "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
        return rng.choice(SURNAMES[:30] if rng.random() < 0.7 else SURNAMES) + given

    def person(self, name: str | None = None) -> Person:
        rng = self.rng
        while True:
            birth = date(1950, 1, 1) + timedelta(days=rng.randrange(0, 365 * 52))
            region = rng.choice(REGIONS)
            body = f"{region}{birth:%Y%m%d}{rng.randrange(0, 1000):03d}"
            number = body + resident_id.calc_check_digit(body)
            if number not in self._ids:
                self._ids.add(number)
                return Person(name or self.person_name(), birth, number, region)

    def company(self) -> Company:
        rng = self.rng
        while True:
            body = "".join(rng.choice("0123456789") for _ in range(8))
            code = body + org_code.calc_check_digit(body)
            region = rng.choice(REGIONS)
            prefix = f"91{region}{code}"
            number = prefix + uscc.calc_check_digit(prefix)
            if number not in self._ids:
                self._ids.add(number)
                break
        core = "".join(rng.sample(CORE_CHARS, 2)) + rng.choice(TRADES)
        place = REGION_NAMES[region]
        name = (
            f"{place}{core}{rng.choice(FORMS)}"
            if rng.random() < 0.7
            else (f"{core}（{place.removesuffix('市').removesuffix('县')}）{rng.choice(FORMS)}")
        )
        company = Company(name, code, number)
        for role in (*FOUR_ROLES[:3], rng.choice(OTHER_ROLES)):
            company.officers[role] = self.person()
        return company

    def date_between(self, start: date, end: date) -> date:
        return start + timedelta(days=self.rng.randrange(0, max(1, (end - start).days)))


@dataclass
class Scenario:
    """Frames of a generated scenario; ``truth`` pairs records with the entries they are."""

    court_list: pl.DataFrame
    removals: pl.DataFrame
    officers: pl.DataFrame
    records: pl.DataFrame
    truth: pl.DataFrame
    record_difficulty: pl.DataFrame | None = None
    """Every record's planted difficulties (``record_id``, ``difficulty``), truth or not."""

    def write(self, folder: str | Path, *, list_encoding: str = "utf-8-sig") -> dict[str, Path]:
        """Write the files users would send: the list with the site's Chinese labels."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        paths = {
            "list": folder / "court_list.csv",
            "removals": folder / "removals.csv",
            "officers": folder / "officers.csv",
            "records": folder / "records.csv",
            "truth": folder / "truth.csv",
        }
        labelled = self.court_list.rename({v: k for k, v in LIST_LABEL_OF.items()})
        paths["list"].write_bytes(labelled.write_csv().encode(list_encoding))
        self.removals.write_csv(paths["removals"])
        self.officers.write_csv(paths["officers"])
        self.records.write_csv(paths["records"])
        self.truth.write_csv(paths["truth"])
        return paths


LIST_LABEL_OF: Final = {
    "案号": "case_no",
    "被执行人姓名/名称": "name",
    "性别": "gender",
    "年龄": "age",
    "身份证号码/组织机构代码": "id_number",
    "法定代表人或者负责人姓名": "legal_rep",
    "执行法院": "court",
    "省份": "province",
    "执行依据文号": "basis_doc_no",
    "立案时间": "filed_on",
    "做出执行依据单位": "basis_issuer",
    "生效法律文书确定的义务": "obligation",
    "被执行人的履行情况": "performance",
    "失信被执行人行为具体情形": "conduct",
    "发布时间": "published_on",
}


def _age(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _traditional(name: str) -> str:
    return "".join(TRADITIONAL.get(ch, ch) for ch in name)


def _full_width(text: str) -> str:
    return "".join(
        chr(ord(ch) + 0xFEE0) if "0" <= ch <= "9" or "A" <= ch <= "Z" else ch for ch in text
    )


SCENARIO_START: Final = date(2016, 1, 1)
ROLE_ENDED_ON: Final = date(2019, 1, 1)
"""Former legal representatives in the scenario leave office on this date."""
CERTAIN_TIERS: Final = ("exact_id", "id_crosswalk", "masked_id_name", "registry_link")
"""Tiers whose identities are certain or probable (the accuracy floors apply to these)."""


def _typo(number: str, rng: random.Random) -> str:
    """One substitution or one adjacent transposition that breaks the check character."""
    while True:
        chars = list(number)
        if rng.random() < 0.5:
            pos = rng.randrange(0, 17)
            chars[pos] = rng.choice([d for d in "0123456789" if d != chars[pos]])
        else:
            pos = rng.randrange(0, 16)
            if chars[pos] == chars[pos + 1]:
                continue
            chars[pos], chars[pos + 1] = chars[pos + 1], chars[pos]
        typo = "".join(chars)
        if resident_id.calc_check_digit(typo[:17]) != typo[17]:
            return typo


def _company_variant(firm: Company, rng: random.Random) -> tuple[str, str]:
    """Another spelling of the firm's name: bracketed region, other legal form, or script."""
    name = firm.name
    form = max((f for f in FORMS if name.endswith(f)), key=len, default="")
    choice = rng.random()
    if choice < 0.4 and form:
        other = rng.choice([f for f in FORMS if f != form and not f.endswith(form)] or [form])
        if not name.endswith(other):
            return name.removesuffix(form) + other, "legal_form_variant"
    if choice < 0.75:
        if "（" in name:
            left, right = rng.choice((("【", "】"), ("(", ")"), ("〔", "〕")))
            return name.replace("（", left).replace("）", right), "bracket_variant"
        place = next((p for p in REGION_NAMES.values() if name.startswith(p)), None)
        if place and form:
            core = name.removeprefix(place).removesuffix(form)
            short = place.removesuffix("市").removesuffix("县")
            if len(short) < 2:  # 温县 stays 温县: a region is never cut to one character
                short = place
            return f"{core}（{short}）{form}", "bracket_variant"
    return _traditional(name), "traditional_name"


def build_scenario(
    *,
    listed_persons: int = 120,
    listed_companies: int = 60,
    records: int = 600,
    seed: int = 7,
) -> Scenario:
    """A labelled scenario with every difficulty the list's real data shows.

    ``truth`` has one row per (record, case) that belong together: ``relation`` is
    ``debtor``, ``officer:<role>`` (a person holding the role in a listed entity on the
    event date) or ``entity_of:<role>`` (an entity in which a listed person holds the role);
    ``difficulty`` lists the planted difficulties joined by ``+``; ``expected_tier`` is the
    tier that should find the pair (``none`` when no tier can: a person record without an
    ID against a listed ID); ``listed_on_event`` says whether the case was listed on the
    event date. ``record_difficulty`` gives every record's difficulties, truth or not.
    """
    g = Generator(seed)
    rng = g.rng
    start, today = SCENARIO_START, g.today
    list_rows: list[dict[str, object]] = []
    removal_rows: list[dict[str, object]] = []
    officer_rows: list[dict[str, object]] = []
    # per subject: (case_no, listed_from, until, shown id form)
    windows: dict[int, list[tuple[str, date, date | None, str]]] = {}
    case_counter = 0

    def new_case(court: str, year: int) -> str:
        nonlocal case_counter
        case_counter += 1
        left, right = ("（", "）") if rng.random() < 0.4 else ("(", ")")
        return f"{left}{year}{right}{court}执{case_counter}号"

    def add_cases(subject: Person | Company, entity: bool) -> None:
        for _ in range(rng.choice((1, 1, 1, 2, 3))):
            published = g.date_between(start, today - timedelta(days=30))
            filed = published - timedelta(days=rng.randrange(20, 400))
            court, court_code = rng.choice(COURTS)
            case_no = new_case(court_code, filed.year)
            if isinstance(subject, Company):
                shape = rng.random()
                form = "org_code" if shape < 0.5 else "uscc"
                shown = (
                    f"{subject.org_code[:8]}-{subject.org_code[8]}"
                    if shape < 0.3
                    else subject.org_code
                    if shape < 0.5
                    else subject.uscc
                )
                name, gender, age = subject.name, None, "0"
                legal_rep = subject.officers["legal_representative"].name
            else:
                form = "masked" if rng.random() < 0.95 else "full"
                shown = subject.masked if form == "masked" else subject.id18
                name = _traditional(subject.name) if rng.random() < 0.05 else subject.name
                gender = "男" if int(subject.id18[16]) % 2 else "女"
                age, legal_rep = str(_age(subject.birth, published)), None
            date_form = rng.random()
            published_text = (
                f"{published:%Y年%m月%d日}"
                if date_form < 0.6
                else f"{published:%Y-%m-%d}"
                if date_form < 0.8
                else f"{published:%Y%m%d}"
            )
            list_rows.append(
                {
                    "case_no": case_no,
                    "name": name,
                    "gender": gender,
                    "age": age,
                    "id_number": shown,
                    "legal_rep": legal_rep,
                    "court": court,
                    "province": rng.choice(PROVINCE_SHORT),
                    "basis_doc_no": (
                        f"({filed.year - 1}){court_code}民初{rng.randrange(100, 999)}号"
                    ),
                    "filed_on": f"{filed:%Y年%m月%d日}",
                    "basis_issuer": court,
                    "obligation": "支付货款及利息",
                    "performance": "全部未履行",
                    "conduct": ",".join(rng.sample(CONDUCTS, rng.choice((1, 1, 2)))),
                    "published_on": published_text,
                }
            )
            until = None
            if rng.random() < 0.15:
                until = published + timedelta(days=rng.randrange(60, 900))
                if until < today:
                    removal_rows.append(
                        {
                            "case_no": case_no,
                            "removed_on": f"{until:%Y-%m-%d}",
                            "reason": "履行完毕",
                        }
                    )
                else:
                    until = None
            windows.setdefault(id(subject), []).append((case_no, published, until, form))

    def officer_row(firm: Company, person: Person, role: str, **dates: str | None) -> None:
        officer_rows.append(
            {
                "entity_id": firm.uscc,
                "entity_name": firm.name,
                "person_name": person.name,
                "person_id": person.id18,
                "role": role,
                "start_date": dates.get("start_date", "2010-01-01"),
                "end_date": dates.get("end_date"),
            }
        )

    listed_people = [g.person() for _ in range(listed_persons)]
    listed_firms = [g.company() for _ in range(listed_companies)]
    for person in listed_people:
        add_cases(person, entity=False)
    for firm in listed_firms:
        firm.officers["directly_responsible"] = g.person()
        add_cases(firm, entity=True)
    unlisted_firms = [g.company() for _ in range(max(10, listed_companies))]
    for firm in listed_firms + unlisted_firms:
        for role, officer in firm.officers.items():
            officer_row(firm, officer, role)
    # former legal representatives of listed firms: out of office on later event dates
    former = {id(firm): g.person() for firm in listed_firms}
    for firm in listed_firms:
        officer_row(
            firm,
            former[id(firm)],
            "legal_representative",
            start_date="2008-01-01",
            end_date=f"{ROLE_ENDED_ON:%Y-%m-%d}",
        )
    # listed persons holding a role in an unlisted firm (the debtor_and_officers scope)
    roles_all = (*FOUR_ROLES, *OTHER_ROLES)
    linked_firms: list[tuple[Company, Person, str]] = []
    for index, firm in enumerate(unlisted_firms[: max(5, len(unlisted_firms) // 2)]):
        person, role = listed_people[index % len(listed_people)], roles_all[index % len(roles_all)]
        officer_row(firm, person, role, start_date="2012-05-01")
        linked_firms.append((firm, person, role))
    linked_ids = {id(firm) for firm, _, _ in linked_firms}

    record_rows: list[dict[str, object]] = []
    truth_rows: list[dict[str, object]] = []
    tag_rows: list[dict[str, object]] = []
    for index in range(records):
        record_type, sub_type, subject_type = rng.choice(RECORD_KINDS)
        record_id = f"R{index + 1:06d}"
        event = g.date_between(start, today)
        draw = rng.random()
        tags: list[str] = []
        # (debtor subject, relation) pairs this record truly belongs to
        relations: list[tuple[Person | Company, str]] = []
        id_form = "id"
        if subject_type == "person":
            subject: Person | Company
            if draw < 0.4:
                subject = rng.choice(listed_people)
                tags.append("listed")
                relations.append((subject, "debtor"))
            elif draw < 0.55:
                subject = g.person(rng.choice(listed_people).name)
                tags.append("namesake")
            elif draw < 0.7 and listed_firms:
                firm = rng.choice(listed_firms)
                role = rng.choice(list(firm.officers))
                subject = firm.officers[role]
                tags.append(f"officer:{role}")
                relations.append((firm, f"officer:{role}"))
            elif draw < 0.74 and listed_firms:
                firm = rng.choice(listed_firms)
                subject = former[id(firm)]
                event = g.date_between(ROLE_ENDED_ON + timedelta(days=1), today)
                tags.append("former_officer")
            else:
                subject = g.person()
                tags.append("unlisted")
            if not isinstance(subject, Person):
                raise TypeError(type(subject))
            shown, name = subject.id18, subject.name
            form = rng.random()
            is_officer = any(r.startswith("officer") for _, r in relations)
            if form < 0.08 and subject.id15:
                shown = subject.id15
                tags.append("id15")
            elif form < 0.12:
                shown = _full_width(shown)
                tags.append("id_format")
            elif form < 0.16:
                shown = shown.lower() if shown.endswith("X") else f"{shown[:6]} {shown[6:]}"
                tags.append("id_format")
            elif form < 0.22 and not is_officer:
                shown, id_form = _typo(subject.id18, rng), "typo"
                tags.append("typo_id")
            elif form < 0.27 and not is_officer:
                shown, id_form = "", "none"
                tags.append("no_id")
            if rng.random() < 0.06:
                name = _traditional(name)
                tags.append("traditional_name")
        else:
            if draw < 0.45:
                firm = rng.choice(listed_firms)
                tags.append("listed")
                relations.append((firm, "debtor"))
            elif draw < 0.6 and linked_firms:
                firm, person, role = rng.choice(linked_firms)
                tags.append(f"entity_of:{role}")
                relations.append((person, f"entity_of:{role}"))
            else:
                firm = rng.choice(unlisted_firms)
                tags.append("unlisted")
                if id(firm) in linked_ids:
                    firm = rng.choice(unlisted_firms[len(linked_firms) :] or unlisted_firms)
            subject, shown, name = firm, firm.uscc, firm.name
            form = rng.random()
            if form < 0.15:
                shown, id_form = firm.org_code, "org_code"
                tags.append("org_code_record")
            elif form < 0.3 and "listed" in tags:
                shown, id_form = "", "none"
                name, variant = _company_variant(firm, rng)
                tags += ["no_id", variant]
        record_rows.append(
            {
                "record_id": record_id,
                "agency": f"agency_{record_type}",
                "record_type": record_type,
                "sub_type": sub_type,
                "subject_type": subject_type,
                "subject_name": name,
                "subject_id": shown,
                "event_date": f"{event:%Y-%m-%d}",
                "amount": str(rng.randrange(1000, 5_000_000)),
            }
        )
        tag_rows.append({"record_id": record_id, "difficulty": "+".join(tags)})
        for debtor, relation in relations:
            for case_no, listed_from, until, entry_form in windows.get(id(debtor), []):
                listed = listed_from <= event and (until is None or event < until)
                pair_tags = list(tags)
                if entry_form == "masked":
                    pair_tags.append("masked_id")
                if event < listed_from:
                    pair_tags.append("before_listing")
                elif until is not None and event >= until:
                    pair_tags.append("after_removal")
                truth_rows.append(
                    {
                        "record_id": record_id,
                        "case_no": case_no,
                        "relation": relation,
                        "difficulty": "+".join(pair_tags),
                        "listed_on_event": listed,
                        "expected_tier": _expected_tier(relation, id_form, entry_form),
                    }
                )
    return Scenario(
        court_list=pl.DataFrame(list_rows, schema=dict.fromkeys(LIST_LABEL_OF.values(), pl.String)),
        removals=pl.DataFrame(
            removal_rows,
            schema={"case_no": pl.String, "removed_on": pl.String, "reason": pl.String},
        ),
        officers=pl.DataFrame(officer_rows, schema=dict.fromkeys(OFFICER_FIELDS, pl.String)),
        records=pl.DataFrame(record_rows),
        truth=pl.DataFrame(truth_rows, schema=TRUTH_SCHEMA),
        record_difficulty=pl.DataFrame(
            tag_rows, schema={"record_id": pl.String, "difficulty": pl.String}
        ),
    )


OFFICER_FIELDS: Final = (
    "entity_id", "entity_name", "person_name", "person_id", "role", "start_date", "end_date",
)  # fmt: skip
TRUTH_SCHEMA: Final = {
    "record_id": pl.String,
    "case_no": pl.String,
    "relation": pl.String,
    "difficulty": pl.String,
    "listed_on_event": pl.Boolean,
    "expected_tier": pl.String,
}


def _expected_tier(relation: str, record_id_form: str, entry_form: str) -> str:
    """The tier that should find a true (record, case) pair, given how each side shows its ID."""
    if relation != "debtor":
        return "registry_link"
    if record_id_form == "typo":
        return "fuzzy_id_name"
    if record_id_form == "none":
        return "name_only" if entry_form in ("org_code", "uscc") else "none"
    if entry_form == "masked":
        return "masked_id_name"
    if entry_form == "full":
        return "exact_id"
    return (
        "exact_id"
        if (record_id_form == "org_code") == (entry_form == "org_code")
        else ("id_crosswalk")
    )

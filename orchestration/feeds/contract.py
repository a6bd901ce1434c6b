"""The departmental feed contract (../shared/spec/feeds.md) as data.

This module is the single source of truth for feed names, columns, Chinese headers, types,
keys and enumerations. The synthetic generator writes what it describes, ingestion validates
against it, and the raw tables have exactly its columns (plus bookkeeping columns), so the
three can never drift apart.

Raw table layout (``raw.<feed>``), written by ingestion:
    year INTEGER                      data year of the delivery folder
    <contract columns>                typed: see ``Column.duckdb_type``; enums in canonical form;
                                      official names as their codes (``Column.names_from``)
    _extra VARCHAR                    JSON object of extra (non-contract) columns, or NULL
    _delivery_id VARCHAR              the delivery_ledger row that loaded the row
    _row_number BIGINT                1-based data row number in the delivered file
"""
from __future__ import annotations

from dataclasses import dataclass, field

# Column kinds. Ids are exact strings checked by their standard's rules.
USCC = "uscc"            # GB 32100-2015 unified social credit code
PERSON = "person_id"     # GB 11643-1999 citizen id (personal data: masked outside internal layers)
SUBJECT = "subject_id"   # a USCC or a person_id
COUNTY = "county_code"   # 6 digits, must exist in reference counties
TOWN = "town_code"       # 9 digits, first 6 = an existing county (and = the row's county, see in_county)
INDUSTRY = "industry_code"  # GB/T 4754-2017 class, 4 digits, division must exist
TAX_CODE = "tax_code"    # 5 digits (or an official name, see names_from)
TEXT = "text"
DATE = "date"
MONTH = "month"          # stored as DATE, first day of the month
BOOL = "bool"
DECIMAL = "decimal"
INTEGER = "integer"
ENUM = "enum"

DUCKDB_TYPES = {
    USCC: "VARCHAR", PERSON: "VARCHAR", SUBJECT: "VARCHAR", COUNTY: "VARCHAR", TOWN: "VARCHAR",
    INDUSTRY: "VARCHAR", TAX_CODE: "VARCHAR", TEXT: "VARCHAR", ENUM: "VARCHAR",
    DATE: "DATE", MONTH: "DATE", BOOL: "BOOLEAN", DECIMAL: "DOUBLE", INTEGER: "BIGINT",
}


@dataclass(frozen=True)
class Column:
    name: str                     # English header and raw column name
    zh: str                       # Chinese header (accepted as an alias)
    kind: str
    nullable: bool = False
    min_value: float | None = None      # inclusive lower bound for numbers
    positive: bool = False              # strict > 0
    enum: tuple[str, ...] = ()          # canonical values (matched trimmed, case-insensitive)
    enum_open: bool = False             # other text allowed too (land_use)
    # (reference seed, code column, name column): a cell that is exactly the official Chinese name
    # of a seed row (brackets full- or half-width) is typed as that row's code. The seed is read at
    # ingestion; its codes must be legal codes of this column. ("ref_tax_codes", "tax_code", "name_zh")
    names_from: tuple[str, str, str] | None = None
    # a town_code column: the contract column holding the row's county; the town's first 6 digits
    # must equal it (a town of another county is unknown_code, not a silent re-assignment)
    in_county: str | None = None

    @property
    def duckdb_type(self) -> str:
        return DUCKDB_TYPES[self.kind]


@dataclass(frozen=True)
class Feed:
    name: str
    zh: str
    department: str               # staging folder / dbt source department
    required: bool
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()     # unique per year file; () = no key
    requires: tuple[str, ...] = ()  # optional feeds that must come with this one
    year_rule: str | None = None  # "tax" or "energy_month": rows for another year are rejected
    person_columns: tuple[str, ...] = field(default=())

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def C(name, zh, kind, **kw) -> Column:
    return Column(name, zh, kind, **kw)


REGISTRY_STATUS = ("存续", "注销", "吊销")
LAND_USES = ("industrial", "warehouse")
DELAY_CAUSES = ("none", "enterprise", "government")
ARRANGEMENTS = ("rented_plant", "village_land_to_enterprise", "village_land_via_individual", "other_occupied")
EXCEPTION_KINDS = ("unauthorized_consumer_service", "approved_public_service", "non_industrial_tenant")
TENANT_TYPES = ("productive_service", "digital_economy", "other")
RESTORATION_KINDS = ("preferential_refund", "construction_input_vat", "export_adjustment")
POLLUTANTS = ("COD", "NH3N", "SO2", "NOX")
TALENT_LEVELS = ("A", "B", "C", "D", "E", "F")
WATER_HONOURS = ("provincial_water_saving", "provincial_water_benchmark")
PARK_TYPES = ("characteristic_town", "development_zone", "high_tech_zone", "micro_park")
PARK_CLASSES = ("national", "provincial", "reference_managed", "provincial_candidate",
                "named", "created", "manufacturing", "other")
# Which park_class values are legal for which park_type.
PARK_CLASSES_BY_TYPE = {
    "development_zone": ("national", "provincial", "reference_managed"),
    "high_tech_zone": ("national", "provincial", "provincial_candidate"),
    "characteristic_town": ("named", "created"),
    "micro_park": ("manufacturing", "other"),
}
GRADES = ("A", "B", "C", "D")
FINDING_FEEDS = ("stats_enterprise_annual", "land_parcels", "land_ledger")
APPEAL_KINDS = ("data", "grade")
APPEAL_DECISIONS = ("accepted", "rejected", "pending")

FEEDS: tuple[Feed, ...] = (
    Feed("registry_enterprises", "企业登记信息", "market", True, (
        C("uscc", "统一社会信用代码", USCC),
        C("name", "企业名称", TEXT),
        C("county_code", "县市区代码", COUNTY),
        C("town_code", "镇街代码", TOWN, in_county="county_code"),
        C("industry_code", "行业代码", INDUSTRY),
        C("established_on", "成立日期", DATE),
        C("parent_uscc", "母公司统一社会信用代码", USCC, nullable=True),
        C("status", "登记状态", ENUM, enum=REGISTRY_STATUS),
        C("strategic_emerging", "战略性新兴产业企业", BOOL, nullable=True),
    ), key=("uscc",)),
    Feed("stats_enterprise_annual", "企业年度统计", "stats", True, (
        C("uscc", "统一社会信用代码", USCC),
        C("above_scale", "是否规上", BOOL),
        C("output_value_kyuan", "工业总产值(千元)", DECIMAL, min_value=0),
        C("value_added_kyuan", "增加值(千元)", DECIMAL),
        C("revenue_kyuan", "营业收入(千元)", DECIMAL, min_value=0),
        C("rd_expense_kyuan", "研发费用(千元)", DECIMAL, min_value=0),
        C("hightech_value_added_kyuan", "高新技术产业增加值(千元)", DECIMAL, min_value=0, nullable=True),
        C("energy_tce", "综合能源消费量(吨标准煤)", DECIMAL, min_value=0, nullable=True),
        C("avg_employees", "从业人员平均人数", INTEGER, min_value=0),
    ), key=("uscc",)),
    Feed("tax_payments", "税收入库明细", "tax", True, (
        C("record_id", "明细编号", TEXT),
        C("uscc", "统一社会信用代码", USCC),
        C("tax_code", "征收项目代码", TAX_CODE, names_from=("ref_tax_codes", "tax_code", "name_zh")),
        C("belongs_to", "税款所属期", MONTH),
        C("paid_on", "入库日期", DATE),
        C("deferred", "是否缓缴", BOOL),
        C("amount_yuan", "实缴金额(元)", DECIMAL),
    ), key=("record_id",), year_rule="tax"),
    Feed("tax_restorations", "政策还原税额", "tax", False, (
        C("uscc", "统一社会信用代码", USCC),
        C("kind", "还原类型", ENUM, enum=RESTORATION_KINDS),
        C("amount_yuan", "金额(元)", DECIMAL, min_value=0),
        C("audit_certified", "第三方审计证明", BOOL),
    )),
    Feed("land_parcels", "已登记用地", "resources", True, (
        C("parcel_id", "宗地编号", TEXT),
        C("holder_uscc", "权利人", USCC),
        C("land_use", "用途", ENUM, enum=LAND_USES, enum_open=True),
        C("area_m2", "面积(平方米)", DECIMAL, positive=True),
        C("delivered_on", "交地日期", DATE),
        C("construction_deadline", "合同约定竣工日期", DATE),
        C("completed_on", "实际竣工日期", DATE, nullable=True),
        C("delay_cause", "逾期原因", ENUM, enum=DELAY_CAUSES),
        C("is_new_enterprise", "新办企业", BOOL),
        C("early_evaluation", "自愿提前参评", BOOL),
    ), key=("parcel_id",)),
    Feed("land_ledger", "未登记用地台账", "town", False, (
        C("record_id", "台账编号", TEXT),
        C("town_code", "镇街代码", TOWN),
        C("occupant_id", "实际使用人", SUBJECT),
        C("landlord_id", "出租方", TEXT),
        C("arrangement", "使用方式", ENUM, enum=ARRANGEMENTS),
        C("sublessor_person_id", "转租个人", PERSON, nullable=True),
        C("area_m2", "实际占用面积(平方米)", DECIMAL, positive=True),
        C("separate_evaluation", "单独评价已核准", BOOL),
        C("split_by_area", "亩均办同意按面积分割", BOOL),
        C("verified", "镇街已核准", BOOL),
    ), key=("record_id",), person_columns=("occupant_id", "landlord_id", "sublessor_person_id")),
    Feed("land_use_exceptions", "亩均办认定", "mujun_office", False, (
        C("subject_id", "评价主体", SUBJECT),
        C("kind", "认定类型", ENUM, enum=EXCEPTION_KINDS),
        C("tenant_uscc", "入驻企业", USCC, nullable=True),
        C("tenant_type", "入驻企业类型", ENUM, enum=TENANT_TYPES, nullable=True),
    ), person_columns=("subject_id",)),
    Feed("energy_monthly", "月度用电", "power", True, (
        C("uscc", "统一社会信用代码", USCC),
        C("month", "月份", MONTH),
        C("electricity_kwh", "用电量(千瓦时)", DECIMAL, min_value=0),
    ), key=("uscc", "month"), year_rule="energy_month"),
    Feed("emissions_annual", "主要污染物排放量", "ecology", False, (
        C("uscc", "统一社会信用代码", USCC),
        C("pollutant", "污染物", ENUM, enum=POLLUTANTS, names_from=("ref_pollutants", "pollutant", "name_zh")),
        C("emission_kg", "排放量(千克)", DECIMAL, min_value=0),
    ), key=("uscc", "pollutant")),
    Feed("talents", "新增认定高层次人才", "talent", False, (
        C("person_id", "公民身份号码", PERSON),
        C("uscc", "所在企业", USCC),
        C("level", "人才类别", ENUM, enum=TALENT_LEVELS),
        C("certified_on", "认定日期", DATE),
    ), person_columns=("person_id",)),
    Feed("hightech_certificates", "国家高新技术企业", "science", False, (
        C("uscc", "统一社会信用代码", USCC),
        C("certificate_no", "证书编号", TEXT),
        C("valid_from", "有效期起", DATE),
        C("valid_to", "有效期止", DATE),
    ), key=("uscc", "certificate_no")),
    Feed("water_saving", "节水型企业", "water", False, (
        C("uscc", "统一社会信用代码", USCC),
        C("honor", "称号", ENUM, enum=WATER_HONOURS),
    ), key=("uscc", "honor")),
    Feed("patents", "有效发明专利", "market", False, (
        C("uscc", "统一社会信用代码", USCC),
        C("invention_patents", "有效发明专利数", INTEGER, min_value=0),
    ), key=("uscc",)),
    Feed("parks", "园区名录", "parks", False, (
        C("park_id", "园区编号", TEXT),
        C("name", "园区名称", TEXT),
        C("park_type", "类型", ENUM, enum=PARK_TYPES),
        C("park_class", "类别", ENUM, enum=PARK_CLASSES),
        C("county_code", "县市区代码", COUNTY),
        C("area_mu", "面积(亩)", DECIMAL, positive=True),
        C("effective_investment_wan", "有效投入(万元)", DECIMAL, min_value=0),
        C("eligible", "符合参评条件", BOOL),
    ), key=("park_id",), requires=("park_members",)),
    Feed("park_members", "园区企业", "parks", False, (
        C("park_id", "园区编号", TEXT),
        C("uscc", "统一社会信用代码", USCC),
    ), key=("park_id", "uscc")),
    Feed("county_incentives", "督查激励名单", "province", False, (
        C("county_code", "县市区代码", COUNTY),
    ), key=("county_code",)),
    Feed("grade_adjustments", "审定调档", "mujun_office", False, (
        C("subject_id", "评价主体", SUBJECT),
        C("grade", "调整后等级", ENUM, enum=GRADES),
        C("approval_ref", "审批文号", TEXT),
    ), person_columns=("subject_id",)),
    Feed("audit_findings", "抽查核实结果", "mujun_office", False, (
        C("subject_id", "评价主体", SUBJECT),
        C("feed", "数据来源", ENUM, enum=FINDING_FEEDS),
        C("record_key", "记录主键", TEXT),
        C("field", "核查字段", TEXT),
        C("reported_value", "上报值", TEXT),
        C("verified_value", "核实值", TEXT),
        C("verified_on", "核实日期", DATE),
    ), person_columns=("subject_id", "record_key")),
    # 复核/申诉 after 公示 (issue #13): a data appeal corrects a value like an audit finding (R-AUDIT-4), a
    # grade appeal sets the grade like an adjustment (R-GRADE-7). Window, subject and field are checked
    # in dbt (int_appeals_checked), where the 公示 date and the subjects are known.
    Feed("appeals", "复核申诉", "mujun_office", False, (
        C("appeal_id", "申诉编号", TEXT),
        C("subject_id", "评价主体", SUBJECT),
        C("kind", "申诉类型", ENUM, enum=APPEAL_KINDS),
        C("feed", "数据来源", ENUM, enum=FINDING_FEEDS, nullable=True),
        C("record_key", "记录主键", TEXT, nullable=True),
        C("field", "申诉字段", TEXT, nullable=True),
        C("claimed_value", "申诉值", TEXT, nullable=True),
        C("claimed_grade", "申诉等级", ENUM, enum=GRADES, nullable=True),
        C("submitted_on", "提交日期", DATE),
        C("decision", "复核结论", ENUM, enum=APPEAL_DECISIONS),
        C("decided_on", "决定日期", DATE, nullable=True),
        C("approval_ref", "审批文号", TEXT, nullable=True),
        C("reason", "理由", TEXT, nullable=True),
    ), key=("appeal_id",), person_columns=("subject_id", "record_key")),
)

FEEDS_BY_NAME: dict[str, Feed] = {f.name: f for f in FEEDS}
REQUIRED_FEEDS: tuple[str, ...] = tuple(f.name for f in FEEDS if f.required)

# The 13 counted taxes of [S2] §四 live in seeds/reference/ref_tax_codes.csv; ingestion accepts any
# 5-digit code (other codes are legal rows that never count, feeds.md), or the official name
# (征收项目名称) of any code of that seed, which is loaded as its code.


def feed(name: str) -> Feed:
    try:
        return FEEDS_BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown feed {name!r}; known feeds: {', '.join(FEEDS_BY_NAME)}") from None


def mask_person_id(value: str | None) -> str | None:
    """marts.md: first 6 + ``********`` + last 4 for every id-like run of a person column (the one
    definition: orchestration.masking)."""
    from orchestration.masking import mask_text

    return mask_text(value, force=True)

"""The statistics form as data: the default definition, validation, typed values, workbook."""

from __future__ import annotations

import io
import json

import pytest
from openpyxl import load_workbook

from bot.stats import workbook as stats_workbook
from bot.stats.forms import (
    DEFAULT_DEFINITION,
    BadValue,
    DefinitionError,
    default_form,
    parse_definition,
    parse_value,
)
from bot.texts import Texts

pytestmark = pytest.mark.no_database      # opens no database: runs once

YES_NO = "yes/no"
TEXT = "text"

# Attachment 2 of the Changchun 2019 notice, as SPEC.md lists it: section, item, and every
# figure with its unit (or its kind when it has none).
ATTACHMENT_2 = [
    ("“安全生产月”活动开展情况", [
        ("举办“安全生产月”活动启动仪式", [("以何种形式启动“安全生产月”活动", TEXT)]),
        ("开展主题宣讲活动", [
            ("省、市、区级安委会负责同志宣讲", "场"),
            ("相关行业负责同志宣讲", "场"),
            ("企业主要负责人宣讲", "场"),
            ("专家学者举办专题讲座", "场"),
            ("安全诊断", "场"),
            ("安全生产志愿服务宣讲团宣讲", "场"),
        ]),
        ("举办安全发展论坛", [("举办论坛、讲坛、研讨会等", "场"),
                              ("论坛、讲坛、研讨会参与", "人次")]),
        ("开展“安全宣传咨询日”线上线下活动", [
            ("开展“安全生产公众开放日”活动的危化品企业", "家"),
            ("公众开放日现场参观", "人次"),
            ("发放宣传资料", "份"),
            ("举办展览", "场"),
            ("开展安全场馆体验活动", "场"),
            ("现场咨询互动", "人次"),
            ("开展网络公开课、专家访谈、网络直播等线上活动", "次"),
            ("线上参与", "人次"),
        ]),
        ("开展安全警示教育和科普宣传活动", [
            ("开展警示教育", "场"),
            ("警示教育受教育", "人次"),
            ("参与危化品安全知识网络有奖答题", "人次"),
            ("在新闻媒体开设安全科普专栏", "个"),
            ("在公共场所电子显示屏播放科普短视频、安全提示、公益广告", "条次"),
            ("开展安全知识技能竞赛", "场"),
            ("安全知识技能竞赛参与", "人次"),
        ]),
        ("开展应急预案演练活动", [("开展应急预案演练", "场次"), ("参与演练", "人次")]),
        ("创造性地开展安全生产宣传教育活动", [("自主开展“安全生产月”专题宣传教育活动", YES_NO)]),
    ]),
    ("“白山松水安全行”活动开展情况", [
        ("开展问题整改“回头看”", [("开展问题整改“回头看”", "次")]),
        ("开展区域行和专题行活动", [("开展区域行和专题行", "次"), ("开展暗查暗访", "次")]),
        ("开展网上“安全生产万里行”活动", [
            ("接受各类举报", "条次"),
            ("奖励举报人", "人"),
            ("征集问题线索", "条次"),
            ("新闻媒体报道", "次"),
        ]),
    ]),
    ("新闻宣传报道情况", [
        ("宣传报道方案", [("制定详细的活动宣传报道方案", YES_NO)]),
        ("“安全生产月”活动新闻宣传报道", [("在中央新闻媒体发表安全月稿件", "篇"),
                                          ("在地方媒体发表安全月稿件", "篇")]),
        ("“安全生产万里行”活动新闻宣传报道", [
            ("在各类媒体发表“白山松水安全行”稿件", "篇"),
            ("曝光反面典型案例", "条次"),
        ]),
    ]),
]


def test_the_default_definition_is_attachment_2_exactly():
    form = default_form()
    found = [
        (section.title["zh"], [
            (item.title["zh"], [
                (figure.label["zh"], figure.unit if figure.type == "count"
                 else {"yesno": YES_NO, "text": TEXT}[figure.type])
                for figure in item.figures])
            for item in section.items])
        for section in form.sections
    ]
    assert found == ATTACHMENT_2
    assert [item.number for item in form.items] == list(range(1, 14))
    assert len(form.figures) == 39
    for _, figure in form.figures:       # English complete, keys unique
        assert figure.label["en"].strip() and figure.label["en"] != figure.label["zh"]
    assert len({figure.key for _, figure in form.figures}) == 39
    for item in form.items:
        assert item.standard["zh"] and item.standard["en"]


def test_the_default_file_round_trips_through_the_parser():
    form = default_form()
    assert parse_definition(form.dumps().encode()) == form
    assert json.loads(DEFAULT_DEFINITION.read_text(encoding="utf-8"))["id"] == "changchun-2019"


def _definition(**figure_changes) -> dict:
    figure = {"key": "drills", "label": {"zh": "演练", "en": "Drills"}, "type": "count",
              "unit": "场"}
    figure.update(figure_changes)
    return {"id": "test", "title": "测试表",
            "sections": [{"title": "一", "items": [
                {"title": "甲", "standard": "标准", "figures": [
                    {"key": "plan", "label": "方案", "type": "yesno"}]},
                {"title": "乙", "standard": "标准", "figures": [figure]}]}]}


def _problems(raw) -> list:
    data = raw if isinstance(raw, bytes) else json.dumps(raw, ensure_ascii=False).encode()
    with pytest.raises(DefinitionError) as caught:
        parse_definition(data)
    return [(p.what, p.name, p.item, p.figure) for p in caught.value.problems]


def test_every_error_of_a_definition_is_named_where_it_is():
    assert _problems(_definition(unit=None)) == [("unit_required", "unit", 2, 1)]
    assert _problems(_definition(type="number")) == [("bad_type", "type", 2, 1)]
    assert _problems(_definition(key="plan")) == [("duplicate_key", "key", 2, 1)]
    assert _problems(_definition(key="Bad Key")) == [("bad_key", "key", 2, 1)]
    assert _problems(_definition(label={"zh": "演练"})) == [("missing", "label.en", 2, 1)]
    assert _problems(_definition(unti="场")) == [("unknown_field", "unti", 2, 1)]
    several = _definition(unit=None, type="yesno", label="")
    several["sections"][0]["items"][0]["figures"][0]["unit"] = "次"
    assert _problems(several) == [("unit_not_allowed", "unit", 1, 1),
                                  ("missing", "label.zh", 2, 1), ("missing", "label.en", 2, 1)]
    assert _problems(b'{"id": "x",') == [("not_json", "", None, None)]
    assert _problems([]) == [("not_object", "", None, None)]
    assert _problems({"id": "x", "title": "t", "sections": []}) == [
        ("empty", "sections", None, None)]


def test_every_problem_has_a_text_in_both_languages():
    texts = Texts.load()
    for language in ("zh", "en"):
        for what in ("not_utf8", "not_json", "not_object", "not_object_here", "unknown_field",
                     "missing", "not_text", "too_long", "not_list", "empty", "too_many",
                     "bad_key", "duplicate_key", "bad_type", "unit_required", "bad_unit",
                     "unit_not_allowed"):
            texts.get(language, f"stats.def_{what}", limit=1, given="k", item=1, figure=1,
                      type="t", line=1, column=1)


def test_values_are_typed_and_forgiving_where_it_is_safe():
    form = default_form()
    count = form.figure("leaflets")
    assert parse_value(count, "1,200") == 1200
    assert parse_value(count, "１２") == 12
    assert parse_value(count, "12 份") == 12
    assert parse_value(count, "无") == 0
    assert parse_value(count, 7.0) == 7
    assert parse_value(count, None) is None
    assert parse_value(count, "  ") is None
    for bad in ("十二", "abc", "1.5", "-3", 2.5, True, "12 场"):
        with pytest.raises(BadValue):
            parse_value(count, bad)
    yes_no = form.figure("coverage_plan")
    assert parse_value(yes_no, "是") is True and parse_value(yes_no, "no") is False
    with pytest.raises(BadValue):
        parse_value(yes_no, "也许")
    text = form.figure("launch_forms")
    assert parse_value(text, "  线上 线下 ") == "线上 线下"
    with pytest.raises(BadValue):
        parse_value(text, "长" * 201)


def _labels() -> stats_workbook.Labels:
    return stats_workbook.Labels(
        language="zh", table_sheet="统计表", item="项目", standard="标准",
        figure="落实情况", value="数值", measure="单位", yes="是", no="否",
        yes_count="个单位为“是”", bad_count="整数", missing_title="未提交",
        missing_header=("单位", "上级单位", "联络员", "手机"), totals_sheet="合计",
        missing_sheet="未提交", annex="附件2", filled_unit="填报单位（盖章）：{unit}",
        filled_by="填报人：{name}", filled_phone="联系电话：{phone}",
        filled_on="填报日期：{date}", date_blank="  年  月  日", texts_sheet="文字项",
        texts_header=("单位", "项目", "填写内容"), texts_see="见“文字项”表（{count} 个单位）",
        page_footer="第 &P 页 共 &N 页")


def test_a_workbook_reads_back_what_was_written():
    form = default_form()
    values = {"launch_forms": "线上线下", "leaflets": 300, "coverage_plan": True, "drills": 0}
    data = stats_workbook.unit_workbook(form, 7, 3, stats_workbook.Filler("长春市工信局"),
                                        values, _labels())
    workbook = stats_workbook.open_workbook(data)
    assert stats_workbook.read_marker(workbook) == stats_workbook.Marker("unit", 7, 3)
    assert stats_workbook.read_values(workbook, form) == (values, [])
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    assert sheet["A3"].value == "填报单位（盖章）：长春市工信局"
    assert [sheet.cell(5, column).value for column in range(1, 6)] == [
        "项目", "标准", "落实情况", "数值", "单位"]


def test_a_foreign_workbook_has_no_marker():
    from openpyxl import Workbook

    buffer = io.BytesIO()
    Workbook().save(buffer)
    assert stats_workbook.read_marker(stats_workbook.open_workbook(buffer.getvalue())) is None
    with pytest.raises(stats_workbook.WorkbookUnreadable):
        stats_workbook.open_workbook(b"not a zip")

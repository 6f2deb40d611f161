"""The pure input checks behind the liaison form."""

from __future__ import annotations

import pytest

from bot.kernel import validation
from bot.kernel.validation import Invalid

pytestmark = pytest.mark.no_database      # opens no database: runs once


@pytest.mark.parametrize("raw,clean", [
    ("13912345678", "13912345678"), ("139 1234 5678", "13912345678"),
    ("+86 139-1234-5678", "13912345678"), ("008613912345678", "13912345678"),
    ("+4915112345678", "+4915112345678"),
])
def test_good_mobiles(raw, clean):
    assert validation.mobile(raw) == clean


@pytest.mark.parametrize("raw", ["12345", "12912345678", "1391234567", "abc", "", "+1"])
def test_bad_mobiles(raw):
    with pytest.raises(Invalid):
        validation.mobile(raw)


def test_other_fields():
    assert validation.landline("0431-88881234") == "0431-88881234"
    assert validation.landline("(0431) 8888 1234 转 601") == "(0431) 8888 1234 转 601"
    with pytest.raises(Invalid):
        validation.landline("12")
    assert validation.email("a.b@example.com.cn") == "a.b@example.com.cn"
    with pytest.raises(Invalid):
        validation.email("a@b")
    assert validation.qq("123456789") == "123456789"
    with pytest.raises(Invalid):
        validation.qq("0123")
    assert validation.wechat("wx_abc123") == "wx_abc123"
    assert validation.wechat("13912345678") == "13912345678"
    with pytest.raises(Invalid):
        validation.wechat("12")
    assert validation.clean_text("  a\x00b  c ", 10) == "ab c"
    with pytest.raises(Invalid):
        validation.clean_text("\x01\x02", 10)


def test_tidy_drops_control_characters_and_runs_of_spaces():
    assert validation.tidy(" \x1b[31m红\x1b[0m \x00 <b>\n\t甲  乙 ") == "[31m红[0m <b> 甲 乙"
    assert validation.clean_text("李\t明\r\n科长", 40) == "李 明 科长"
    assert validation.tidy("\x00\x01\x07 ") == ""


def test_lengths_as_telegram_counts_them_and_control_characters_in_announcements():
    assert validation.telegram_length("通知🙂") == 4
    assert validation.drop_controls("第一行\r\n\t第二行\x00\x1b") == "第一行\n\t第二行"

"""/late's 通报 draft: 表扬 (the top units by points, with their adopted pieces) and 通报批评
(the units that missed a period, and those late twice or more, with the periods), as a 公文."""

from __future__ import annotations

import io

from docx import Document

from tests.desk_seed import NO_LIAISON, SCOPED_COORDINATOR_ID, WEEKS, fate
from tests.scoring_support import adopt, submission_of

WEEK_NAMES = tuple(f"每周活动材料（6月{day}日一期）" for day in (4, 11, 18, 25))


def delivered_in(seeded, week: int, city: str) -> list[str]:
    return [name for index, name in enumerate(seeded.names)
            if seeded.city_of[name] == city and name != city and fate(index, week)[0] != "missing"]


async def notice_of(user) -> Document:
    await user.command("late")
    sent = await user.wait_reply(count=3, timeout=60)
    (notice,) = [s for s in sent if s.document is not None
                 and s.document.file_name.startswith("通报（草稿）")]
    assert notice.document.file_name == "通报（草稿）_2026-06-25.docx"
    return Document(io.BytesIO(notice.document.data))


async def test_the_notice_praises_the_adopted_and_names_the_missing_and_late(desk, sandbox,
                                                                            admin):
    seeded = desk.seeded
    best = delivered_in(seeded, 0, "吉林市")[0]
    second = delivered_in(seeded, 1, "长春市")[1]
    await adopt(desk, admin, (await submission_of(desk, best, 0)).id, "市级领导批示")
    await adopt(desk, admin, (await submission_of(desk, best, 1 if best in delivered_in(
        seeded, 1, "吉林市") else 2)).id, "县级简报采用")
    await adopt(desk, admin, (await submission_of(desk, second, 1)).id, "市级专报采用")
    document = await notice_of(admin)
    paragraphs = [p.text for p in document.paragraphs if p.text]
    assert paragraphs[0] == "关于2026年安全生产月信息报送和采用情况的通报"
    assert paragraphs[1] == "各有关单位："
    praise = paragraphs.index("一、表扬")
    criticism = paragraphs.index("二、通报批评")
    praised = paragraphs[praise + 1:criticism]
    assert len(praised) == 2
    assert praised[0].startswith(f"（一）{best}，积分 ") and "（市级领导批示）" in praised[0]
    assert "县级简报采用" in praised[0] and WEEK_NAMES[0] in praised[0]
    assert praised[1].startswith(f"（二）{second}，积分 ")
    assert f"{WEEK_NAMES[1]}（市级专报采用）" in praised[1]
    rows = {row.cells[1].text: (row.cells[2].text, row.cells[3].text)
            for row in document.tables[0].rows[1:]}
    for index, name in enumerate(seeded.names):
        states = [fate(index, week)[0] for week in range(len(WEEKS))]
        missing = (["联络员推荐表"] if index in NO_LIAISON else []) + ["活动方案"] + [
            WEEK_NAMES[week] for week, state in enumerate(states) if state == "missing"]
        late = [WEEK_NAMES[week] for week, state in enumerate(states) if state == "late"]
        assert rows[name] == ("、".join(missing), "、".join(late) if len(late) >= 2 else "—")
    assert paragraphs[-2:] == ["安全生产月活动办公室", "2026年6月25日"]


async def test_a_scoped_notice_holds_only_the_subtree(desk, sandbox):
    scoped = sandbox.user(SCOPED_COORDINATOR_ID, "赵科长")
    document = await notice_of(scoped)
    names = {row.cells[1].text for row in document.tables[0].rows[1:]}
    assert names == {name for name in desk.seeded.names if desk.seeded.city_of[name] == "长春市"}
    paragraphs = [p.text for p in document.paragraphs if p.text]
    assert "本期暂无被采用的信息。" in paragraphs and paragraphs[-2] == "长春市"

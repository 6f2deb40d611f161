"""/status's 📊: the month at a glance as a PNG, on the seeded campaign and on 200 units."""

from __future__ import annotations

import io
from datetime import date, datetime

from PIL import Image

from bot.desk.drawing import cjk_face
from bot.desk.heatmap import COLOURS
from bot.kernel.schedule import ANYTIME, deadlines, default_rules
from tests.conftest import ADMIN_ID
from tests.desk_seed import CITIES, NO_LIAISON, TZ, WEEKS, fate


async def heatmap_of(user) -> Image.Image:
    await user.command("status")
    (view,) = await user.wait_reply()
    assert "📊 一览图" in view.button_texts()
    await user.press("📊 一览图", view)
    sent = await user.wait_reply(timeout=60)
    document = next(s.document for s in sent if s.document)
    assert document.file_name == "报送情况一览.png"
    assert "个单位 ×" in sent[-1].plain_text
    image = Image.open(io.BytesIO(document.data))
    assert image.format == "PNG"
    return image


def cell(image: Image.Image, unit: int, column: int) -> tuple[int, int, int]:
    left, top = int(image.info["cells-left"]), int(image.info["cells-top"])
    width, height = int(image.info["cell-width"]), int(image.info["row-height"])
    return image.convert("RGB").getpixel((left + column * width + width // 2,
                                          top + unit * height + height // 2))


async def test_the_heatmap_shows_every_unit_in_every_period(desk, sandbox, admin):
    seeded = desk.seeded
    image = await heatmap_of(admin)
    calendar = await desk.bot.storage.campaigns.calendar()
    columns = [(rule.key, d.period) for rule in calendar.rules if rule.kind != ANYTIME
               for d in deadlines(rule, TZ)]
    order = [name for city in CITIES for name in seeded.names if seeded.city_of[name] == city]
    for row, name in enumerate(order):
        index = seeded.names.index(name)
        for column, (key, period) in enumerate(columns):
            if key == "registration":
                want = "missing" if index in NO_LIAISON else "on_time"
            elif key == "plan":
                want = "missing"
            elif key == "weekly":
                want = fate(index, WEEKS.index(period))[0]
            else:
                want = "not_due"              # monthly cases, summary, statistics: later
            assert cell(image, row, column) == COLOURS[want], (name, key, period)


async def test_two_hundred_units_fit_on_one_picture_with_their_names(bot, sandbox, admin):
    storage = bot.storage
    await storage.campaigns.create(2026, "2026年安全生产月", "", date(2026, 6, 1),
                                   date(2026, 6, 30), "Asia/Shanghai", default_rules(2026),
                                   ADMIN_ID)
    calendar = await storage.campaigns.calendar()
    weekly = calendar.rule("weekly")
    nil_unit = None
    for number in range(200):
        unit = await storage.units.create(f"长春市第{number:03d}安全生产监督管理单位", None,
                                          ADMIN_ID)
        if number == 7:
            nil_unit = unit
    await storage.submissions.record_nil(nil_unit.id, weekly.id, "2026-06-04", None,
                                         datetime(2026, 6, 3, 9, 0, tzinfo=TZ), None)
    image = await heatmap_of(admin)
    top, row = int(image.info["cells-top"]), int(image.info["row-height"])
    assert image.height >= top + 200 * row and image.height < 3200
    columns = [rule.key for rule in calendar.rules if rule.kind != ANYTIME
               for _ in deadlines(rule, TZ)]
    weekly_column = columns.index("weekly")
    assert cell(image, 7, weekly_column) == COLOURS["nil"]
    assert cell(image, 8, weekly_column) in (COLOURS["missing"], COLOURS["not_due"])
    assert cell(image, 199, weekly_column) == cell(image, 8, weekly_column)
    if cjk_face() is None:
        return
    gray = image.convert("L")
    left = int(image.info["cells-left"])
    for unit in (0, 100, 199):          # a name is drawn on every row
        band = gray.crop((0, top + unit * row, left - 4, top + (unit + 1) * row))
        assert band.getextrema()[0] < 100, unit

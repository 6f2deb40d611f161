"""What the desk's pictures (contact sheets, the /status heatmap) draw text with: a CJK font
where the machine has one, found among the usual files or through fontconfig (``fc-list``),
and lines wrapped to a width. Pillow is imported by the caller's worker thread.
"""

from __future__ import annotations

import shutil
import subprocess
from functools import cache

CJK_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/System/Library/Fonts/PingFang.ttc",
    "C:/Windows/Fonts/msyh.ttc",
    "C:/Windows/Fonts/simhei.ttf",
)
LATIN_FONTS = ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "DejaVuSans.ttf")
PROBE = "长春市安全"        # a font that draws these draws unit names


def _faces(path: str):
    """The faces of a font file, Simplified Chinese first (a .ttc holds JP, KR, SC …)."""
    from PIL import ImageFont

    faces = []
    for index in range(8):
        try:
            faces.append((index, ImageFont.truetype(path, 12, index=index)))
        except OSError:
            break
    faces.sort(key=lambda pair: " SC" not in pair[1].getname()[0])
    return faces


def _fontconfig_files() -> list[str]:
    """Files fontconfig knows for Chinese, where ``fc-list`` is installed."""
    if shutil.which("fc-list") is None:
        return []
    try:
        listed = subprocess.run(["fc-list", ":lang=zh-cn", "file"], capture_output=True,
                                text=True, timeout=10, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    files = sorted({line.split(":")[0].strip() for line in listed.splitlines() if line})
    return sorted(files, key=lambda path: ("Bold" in path, "Sans" not in path, path))


@cache
def cjk_face() -> tuple[str, int] | None:
    """(file, face index) of a font that draws Chinese, or None on a machine without one."""
    for path in (*CJK_FONTS, *_fontconfig_files()):
        try:
            faces = _faces(path)
        except OSError:
            continue
        for index, face in faces:
            if all(face.getmask(ch).getbbox() for ch in PROBE):
                return path, index
    return None


def font(size: int):
    """(a font of ``size`` px, whether it draws Chinese)."""
    from PIL import ImageFont

    found = cjk_face()
    if found is not None:
        return ImageFont.truetype(found[0], size, index=found[1]), True
    for candidate in LATIN_FONTS:
        try:
            return ImageFont.truetype(candidate, size), False
        except OSError:
            continue
    return ImageFont.load_default(), False


def wrap(text: str, face, width: float, max_lines: int) -> list[str]:
    """``text`` in lines no wider than ``width`` px, cut anywhere (Chinese has no spaces),
    at most ``max_lines`` (the last ending in "…" when the text goes on)."""
    lines: list[str] = []
    current = ""
    for ch in text:
        if current and face.getlength(current + ch) > width:
            lines.append(current)
            current = ""
        current += ch
    if current:
        lines.append(current)
    if len(lines) <= max_lines:
        return lines
    kept = lines[:max_lines]
    last = kept[-1]
    while last and face.getlength(last + "…") > width:
        last = last[:-1]
    kept[-1] = last + "…"
    return kept


"""Kill loop: the bot as a real process, stopped at random moments under mixed traffic, with
the record's invariants checked after every stop (issue 13's acceptance; not run by CI).

Each cycle starts the bot (``python -m bot`` against the in-process sandbox), lets liaisons
send texts, photos, documents and albums of 2-10 parts for a random while, then stops it:
kill -9 mostly, SIGTERM sometimes. After every stop, with the bot down:

- every archived item's file exists under its sha256 and hashes to it;
- no message confirmed to Telegram without its submission: each message sent is recorded as
  an item, or still waiting (not confirmed by the sandbox, unhandled in the inbox, or a part
  of an album not settled yet);
- no duplicate item per message (liaison, Telegram message id).

After the last cycle the bot runs until everything is drained and stops cleanly; then also:
every message recorded exactly once, inbox, outbox and albums drained, no item pending, no
temporary file in the media store. Prints the figures (cycles, messages, lost, duplicates)
for bench/RESULTS.md; exits 1 when an invariant broke.

    python bench/kill_loop.py [--cycles 40] [--seconds 240] [--liaisons 4] [--seed 13]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import random
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.sandbox import FakeTelegram, generate_bytes  # noqa: E402
from tests.processes import BotProcess  # noqa: E402
from tests.test_faults import seed_open_week  # noqa: E402
from tests.test_submissions_flow import jpeg  # noqa: E402

SHANGHAI = ZoneInfo("Asia/Shanghai")
FIRST_LIAISON = 7000


class Loop:
    def __init__(self, sandbox: FakeTelegram, data_dir: Path, liaisons: list[int],
                 chance: random.Random) -> None:
        self.sandbox = sandbox
        self.data_dir = data_dir
        self.users = [sandbox.user(user_id, f"联络员{n}") for n, user_id in enumerate(liaisons)]
        self.chance = chance
        self.sent: dict[tuple[int, int], str] = {}       # (chat, message id) -> kind
        self.bursts = 0
        self.seq = 0
        self.problems: list[str] = []

    async def traffic(self, seconds: float) -> None:
        """Each liaison sends something every 0.1-0.6 s for ``seconds``."""
        end = time.monotonic() + seconds
        await asyncio.gather(*(self._one_liaison(user, end) for user in self.users))

    async def _one_liaison(self, user, end: float) -> None:
        while time.monotonic() < end:
            self.seq += 1
            roll = self.chance.random()
            if roll < 0.35:
                messages = [await user.send(f"第{self.seq}条材料：开展安全检查")]
                kind = "text"
            elif roll < 0.6:
                messages = [await user.send_photo(jpeg(self.seq))]
                kind = "photo"
            elif roll < 0.75:
                messages = [await user.send_document(generate_bytes(300_000, f"d{self.seq}"),
                                                     f"材料{self.seq}.pdf", "application/pdf")]
                kind = "document"
            else:
                parts = self.chance.randint(2, 10)
                messages = await user.send_album(
                    [("photo", jpeg(1000 * self.seq + n), None) for n in range(parts)])
                kind = "album"
            self.bursts += 1
            for message in messages:
                self.sent[(message["chat"]["id"], message["message_id"])] = kind
            await asyncio.sleep(self.chance.uniform(0.1, 0.6))

    # ------------------------------------------------------------------ invariants

    def state(self) -> dict:
        with sqlite3.connect(self.data_dir / "bot.sqlite3") as conn:
            conn.row_factory = sqlite3.Row
            person_of = {row[0]: row[1] for row in conn.execute(
                "SELECT id, person_id FROM liaison")}
            items = conn.execute(
                "SELECT liaison_id, message_id, archived, media_sha256 FROM item").fetchall()
            unhandled = conn.execute(
                "SELECT chat_id, raw FROM inbox WHERE handled_at IS NULL").fetchall()
            waiting_parts = conn.execute(
                "SELECT a.chat_id, p.message_id FROM album_part p JOIN album a "
                "ON a.id = p.album_id WHERE p.done = 0").fetchall()
            poisoned = conn.execute(
                "SELECT count(*) FROM inbox WHERE poisoned_at IS NOT NULL").fetchone()[0]
            outbox = conn.execute(
                "SELECT count(*) FROM outbox WHERE state IN ('pending', 'sending')"
            ).fetchone()[0]
        recorded = Counter((person_of.get(row["liaison_id"]), row["message_id"])
                           for row in items)
        inbox = {(row["chat_id"], json.loads(row["raw"]).get("message", {}).get("message_id"))
                 for row in unhandled}
        return {"items": items, "recorded": recorded, "inbox": inbox,
                "albums": {(row[0], row[1]) for row in waiting_parts},
                "poisoned": poisoned, "outbox": outbox, "unhandled": len(unhandled)}

    def unconfirmed(self) -> set[tuple[int, int]]:
        return {(update["message"]["chat"]["id"], update["message"]["message_id"])
                for update in list(self.sandbox._updates) if "message" in update}

    def check(self, cycle: int, final: bool = False) -> dict:
        found = self.state()
        media = self.data_dir / "media"
        for row in found["items"]:
            if row["archived"] == "yes":
                path = media / row["media_sha256"][:2] / row["media_sha256"]
                if not path.is_file() or \
                        hashlib.sha256(path.read_bytes()).hexdigest() != row["media_sha256"]:
                    self.problems.append(f"cycle {cycle}: {path.name} missing or damaged")
        waiting = self.unconfirmed() | found["inbox"] | found["albums"]
        lost = [key for key in self.sent if key not in found["recorded"] and
                (final or key not in waiting)]
        duplicates = sum(count - 1 for count in found["recorded"].values() if count > 1)
        if lost:
            self.problems.append(f"cycle {cycle}: {len(lost)} message(s) confirmed without "
                                 f"their submission: {lost[:5]}")
        if duplicates:
            self.problems.append(f"cycle {cycle}: {duplicates} duplicate item(s)")
        if final:
            pending = sum(1 for row in found["items"] if row["archived"] == "pending")
            tmp = [path for path in (media / "tmp").glob("*")] if (media / "tmp").exists() \
                else []
            for name, value in (("unhandled inbox rows", found["unhandled"]),
                                ("outbox rows not sent", found["outbox"]),
                                ("album parts waiting", len(found["albums"])),
                                ("items pending", pending), ("temporary files", len(tmp))):
                if value:
                    self.problems.append(f"at the end: {value} {name}")
        return {"lost": len(lost), "duplicates": duplicates, "poisoned": found["poisoned"],
                "failed": sum(1 for row in found["items"] if row["archived"] == "failed")}

    def drained(self) -> bool:
        found = self.state()
        return not (found["unhandled"] or found["albums"] or found["outbox"] or any(
            row["archived"] == "pending" for row in found["items"])) and \
            not self.unconfirmed() and all(key in found["recorded"] for key in self.sent)


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cycles", type=int, default=40)
    parser.add_argument("--seconds", type=float, default=240.0,
                        help="stop starting cycles after this long")
    parser.add_argument("--liaisons", type=int, default=4)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    if datetime.now(SHANGHAI).time() > clock_time(23, 45):
        print("the seeded week closes at 23:59 China time: run it another time")
        return 2
    chance = random.Random(args.seed)
    sandbox = FakeTelegram()
    await sandbox.start()
    started = time.monotonic()
    kills = terms = 0
    with tempfile.TemporaryDirectory() as folder:
        data_dir = Path(folder) / "data"
        data_dir.mkdir()
        liaisons = await seed_open_week(data_dir / "bot.sqlite3", args.liaisons,
                                        FIRST_LIAISON, clock_time(23, 58))
        loop = Loop(sandbox, data_dir, liaisons, chance)
        process = BotProcess(sandbox, data_dir, [1])
        cycle = 0
        try:
            while cycle < args.cycles and time.monotonic() - started < args.seconds:
                cycle += 1
                await process.start()
                await loop.traffic(chance.uniform(0.3, 3.0))
                await asyncio.sleep(chance.uniform(0.0, 2.0))   # mid-window, mid-download
                if chance.random() < 0.75:
                    await process.kill()
                    kills += 1
                else:
                    await process.stop()
                    terms += 1
                figures = loop.check(cycle)
                print(f"cycle {cycle}: {len(loop.sent)} messages so far, lost {figures['lost']}"
                      f", duplicates {figures['duplicates']}", flush=True)
            await process.start()
            deadline = time.monotonic() + 90
            while not loop.drained() and time.monotonic() < deadline:
                await asyncio.sleep(0.5)
            await asyncio.sleep(2.0)
            await process.stop()
            final = loop.check(cycle + 1, final=True)
            receipts = sum(1 for user in loop.users for sent in sandbox.messages_to(user.id)
                           if "已收到" in sent.text)
        finally:
            await process.kill()
            await sandbox.stop()
    elapsed = time.monotonic() - started
    kinds = Counter(loop.sent.values())
    print(f"\ncycles {cycle} ({kills} kill -9, {terms} SIGTERM) in {elapsed:.0f} s; "
          f"messages {len(loop.sent)} (texts {kinds['text']}, photos {kinds['photo']}, "
          f"documents {kinds['document']}, album parts {kinds['album']}) in {loop.bursts} "
          f"bursts; lost {final['lost']}, duplicates {final['duplicates']}, set aside "
          f"{final['poisoned']}, files failed {final['failed']}; receipts {receipts} for "
          f"{loop.bursts} bursts")
    for problem in loop.problems:
        print("PROBLEM", problem)
    return 1 if loop.problems else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))

"""Headless Chromium (Debian's ``chromium``) driven over the DevTools protocol, to open a
page as a person would and ask what they see: which images loaded, what is shown, a
screenshot. The protocol goes over a WebSocket on loopback (aiohttp's client).

A test that needs it calls :func:`require_chromium`: it fails when CI must run it (``CI``
is set, as ``.ci/run`` does) and Chromium is missing, and skips only on a developer's
machine without it.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path

import aiohttp
import pytest

BINARIES = ("chromium", "chromium-browser", "google-chrome")


def require_chromium() -> str:
    for name in BINARIES:
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("CI"):
        pytest.fail("Chromium is not installed (apt-get install chromium); CI must run this")
    pytest.skip("Chromium is not installed (apt-get install chromium)")


class Page:
    """One tab: navigate, evaluate JavaScript, take screenshots."""

    def __init__(self, socket: aiohttp.ClientWebSocketResponse) -> None:
        self.socket = socket
        self.ids = itertools.count(1)
        self.events: asyncio.Queue[dict] = asyncio.Queue()

    async def call(self, method: str, **params: object) -> dict:
        number = next(self.ids)
        await self.socket.send_str(json.dumps({"id": number, "method": method,
                                               "params": params}))
        while True:
            message = json.loads((await self.socket.receive(timeout=60)).data)
            if message.get("id") == number:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            if "method" in message:
                await self.events.put(message)

    async def wait_event(self, method: str, timeout: float = 60) -> dict:
        async def next_one() -> dict:
            while True:
                while not self.events.empty():
                    event = self.events.get_nowait()
                    if event["method"] == method:
                        return event
                message = json.loads((await self.socket.receive()).data)
                if message.get("method") == method:
                    return message
        return await asyncio.wait_for(next_one(), timeout)

    async def open(self, url: str) -> None:
        await self.call("Page.enable")
        await self.call("Page.navigate", url=url)
        await self.wait_event("Page.loadEventFired")

    async def evaluate(self, expression: str) -> object:
        result = await self.call("Runtime.evaluate", expression=expression,
                                 awaitPromise=True, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(result["exceptionDetails"])
        return result["result"].get("value")

    async def viewport(self, width: int, height: int, mobile: bool = False,
                       scale: float = 1) -> None:
        await self.call("Emulation.setDeviceMetricsOverride", width=width, height=height,
                        deviceScaleFactor=scale, mobile=mobile)

    async def screenshot(self, path: Path, whole_page: bool = True) -> None:
        found = await self.call("Page.captureScreenshot", format="png",
                                captureBeyondViewport=whole_page)
        path.write_bytes(base64.b64decode(found["data"]))


@asynccontextmanager
async def chromium(binary: str) -> AsyncIterator[Page]:
    """A headless Chromium with one page, stopped (its process group) on exit."""
    profile = Path(tempfile.mkdtemp(prefix="chromium-"))
    process = subprocess.Popen(
        [binary, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-extensions", "--allow-file-access-from-files", f"--user-data-dir={profile}",
         "--remote-debugging-port=0", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        port_file = profile / "DevToolsActivePort"
        for _ in range(300):
            if port_file.is_file() and port_file.read_text().strip():
                break
            await asyncio.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{port}/json/list") as response:
                targets = await response.json()
            target = next(t for t in targets if t["type"] == "page")
            async with session.ws_connect(target["webSocketDebuggerUrl"],
                                          max_msg_size=0) as socket:
                yield Page(socket)
    finally:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
        shutil.rmtree(profile, ignore_errors=True)

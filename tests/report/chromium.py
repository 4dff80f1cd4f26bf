"""Headless Chromium over the DevTools protocol on a pipe (``--remote-debugging-pipe``).

The stdlib is enough: Chromium reads NUL-terminated JSON commands on its fd 3 and writes replies
and events on fd 4. A page load records every request, console errors, uncaught exceptions and
failed loads; host names other than 127.0.0.1 do not resolve, so nothing can leave the machine.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import select
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM = next((p for p in ("/usr/bin/chromium", shutil.which("chromium") or "",
                             shutil.which("chromium-browser") or "") if p and Path(p).exists()),
                None)
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--remote-debugging-pipe",
         "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1")


@dataclass
class PageLoad:
    url: str
    seconds: float = 0.0  # navigation until the page was ready
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class Chromium:
    def __init__(self, profile: Path, width: int = 1400, height: int = 1000) -> None:
        assert CHROMIUM is not None
        pipe_in, self._w = os.pipe()
        self._r, pipe_out = os.pipe()
        # Chromium's ends as fds >= 10, so that bash's redirections to 3 and 4 clobber neither
        to_chrome, from_chrome = (fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (pipe_in, pipe_out))
        shell = f'exec "$0" "$@" 3<&{to_chrome} 4>&{from_chrome}'
        self.log = profile.parent / f"{profile.name}-chromium.log"
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                ["bash", "-c", shell, CHROMIUM, *FLAGS, f"--user-data-dir={profile}",
                 f"--window-size={width},{height}", "about:blank"],
                pass_fds=(to_chrome, from_chrome), stdout=log, stderr=log)
        for fd in (pipe_in, pipe_out, to_chrome, from_chrome):
            os.close(fd)
        self.size = (width, height)
        self._buf, self._next = b"", 0
        self.session: str | None = None
        self.target: str | None = None
        self.load: PageLoad | None = None

    def close(self) -> None:
        with contextlib.suppress(OSError, TimeoutError, RuntimeError):
            self.send("Browser.close", timeout=5)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._w)
        os.close(self._r)

    def _read(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buf:
            ready, _, _ = select.select([self._r], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                raise TimeoutError("Chromium did not answer in time")
            chunk = os.read(self._r, 1 << 16)
            if not chunk:
                raise RuntimeError(f"Chromium closed the pipe; its log: {self.log}")
            self._buf += chunk
        raw, self._buf = self._buf.split(b"\0", 1)
        return json.loads(raw)

    def send(self, method: str, params: dict | None = None, session: str | None = None,
             timeout: float = 30) -> dict[str, Any]:
        self._next += 1
        msg: dict[str, Any] = {"id": self._next, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read(deadline)
            if reply.get("id") == self._next:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self._observe(reply)

    def _observe(self, event: dict[str, Any]) -> None:
        load, p = self.load, event.get("params", {})
        if load is None or event.get("sessionId") != self.session:
            return
        method = event.get("method")
        if method == "Network.requestWillBeSent":
            load.requests.append(p["request"]["url"])
        elif method == "Network.responseReceived" and p["response"]["status"] >= 400:
            load.errors.append(f"HTTP {p['response']['status']}: {p['response']['url']}")
        elif method == "Network.loadingFailed" and not p.get("canceled"):
            load.errors.append(f"load failed: {p.get('errorText')}")
        elif method == "Log.entryAdded" and p["entry"]["level"] == "error":
            load.errors.append(f"log: {p['entry']['text']} {p['entry'].get('url', '')}")
        elif method == "Runtime.consoleAPICalled" and p["type"] in ("error", "assert"):
            load.errors.append("console: " + " ".join(str(a.get("value", a.get("description")))
                                                      for a in p["args"]))
        elif method == "Runtime.exceptionThrown":
            d = p["exceptionDetails"]
            load.errors.append(f"exception: {d.get('exception', {}).get('description', d['text'])}")

    def evaluate(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True},
                           self.session)
        return result.get("result", {}).get("value")

    def open(self, url: str, ready: str = "document.readyState === 'complete'",
             timeout: float = 30) -> PageLoad:
        """A new tab at ``url`` (the previous one closed); ready when ``ready`` is true."""
        if self.target is not None:
            self.send("Target.closeTarget", {"targetId": self.target})
        self.target = target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.send("Target.attachToTarget",
                                 {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable", session=self.session)
        w, h = self.size
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": w, "height": h, "deviceScaleFactor": 1, "mobile": False},
                  self.session)
        self.load = PageLoad(url)
        t0 = time.perf_counter()
        self.send("Page.navigate", {"url": url}, self.session)
        deadline = time.monotonic() + timeout
        while not self.evaluate(f"location.protocol !== 'about:' && !!({ready})"):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url}: not ready after {timeout}s ({ready})")
            time.sleep(0.05)
        self.load.seconds = time.perf_counter() - t0
        return self.load

    def settle(self, seconds: float = 0.5) -> None:
        """Let late requests and errors arrive (they are read while waiting for a reply)."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.evaluate("1")
            time.sleep(0.05)

    def screenshot(self, path: Path, full_page: bool = True, max_height: int = 4000) -> int:
        """A PNG of the viewport, or of the whole page up to ``max_height`` pixels; its size.

        A whole-page capture resizes the page while it draws: pages that redraw on resize (asv's
        graphs) are better taken as the viewport.
        """
        w, h = self.size
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            size = self.send("Page.getLayoutMetrics", session=self.session)["cssContentSize"]
            params["clip"] = {"x": 0, "y": 0, "width": max(size["width"], w),
                              "height": min(max(size["height"], h), max_height), "scale": 1}
            params["captureBeyondViewport"] = True
        shot = self.send("Page.captureScreenshot", params, self.session)
        data = base64.b64decode(shot["data"])
        path.write_bytes(data)
        return len(data)

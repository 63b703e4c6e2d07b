"""The council report as the PDF committee papers travel as: headless Chromium prints the HTML.

``write_pdf(html_path)`` writes ``raadsrapportage_<YYYY-MM>.pdf`` beside the HTML: A4, page
numbers in the footer ("pagina 3 van 12"), the table of contents (and a PDF outline from the
headings), the SVG charts as vectors (Chromium prints inline SVG as vector paths), tables kept on
one page where they fit (the template's print CSS).

Chromium is driven through the DevTools protocol over a pipe (``--remote-debugging-pipe``; no
port, no extra library): ``Page.printToPDF`` is the only way to get a footer with page numbers.
The binary is ``STATMON_CHROMIUM``, else ``chromium`` / ``chromium-browser`` / ``google-chrome``
on PATH; it runs with a fresh profile in a temporary folder and no network, and is ended when
the PDF is written (or after ``TIMEOUT`` seconds).
"""
from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

TIMEOUT = 120.0
INSTALL_HINT = ("the PDF of the council report is printed by headless Chromium, which was not found. "
                "Install it (Debian/Ubuntu: `apt-get install --no-install-recommends chromium fonts-dejavu-core`) "
                "or set STATMON_CHROMIUM to a Chromium or Chrome binary.")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
         "--disable-extensions", "--remote-debugging-pipe"]
A4_INCHES = (8.27, 11.69)
MARGIN_INCHES = {"marginTop": 0.6, "marginBottom": 0.7, "marginLeft": 0.6, "marginRight": 0.6}
FOOTER = ('<div style="font-family: Verdana, Arial, sans-serif; font-size: 8px; color: #4d4d4d; width: 100%; '
          'padding: 0 0.6in; display: flex; justify-content: space-between;"><span class="title"></span>'
          '<span>pagina <span class="pageNumber"></span> van <span class="totalPages"></span></span></div>')


class PdfToolMissing(RuntimeError):
    """No Chromium to print with; the message says what to install."""


@dataclass(frozen=True)
class PdfResult:
    path: Path
    seconds: float


def find_chromium() -> str:
    """The Chromium binary, or PdfToolMissing saying what to install."""
    configured = os.environ.get("STATMON_CHROMIUM")
    if configured:
        found = shutil.which(configured)
        if found:
            return found
        raise PdfToolMissing(f"STATMON_CHROMIUM={configured!r} is not an executable; {INSTALL_HINT}")
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    raise PdfToolMissing(INSTALL_HINT)


class _DevTools:
    """The DevTools protocol over Chromium's pipe (fd 3: commands in, fd 4: replies out; each
    message is JSON ended by a NUL byte)."""

    def __init__(self, chromium: str, profile: Path):
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()

        def child_fds():  # runs in the child before exec: the pipe ends on fds 3 and 4
            high_r = fcntl.fcntl(to_chrome_r, fcntl.F_DUPFD, 10)  # out of the way of 3 and 4 first
            high_w = fcntl.fcntl(from_chrome_w, fcntl.F_DUPFD, 10)
            os.dup2(high_r, 3)  # inheritable: survives the exec (close_fds=False below)
            os.dup2(high_w, 4)

        self.process = subprocess.Popen(
            [chromium, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            close_fds=False, preexec_fn=child_fds,  # Python's own fds are not inheritable (PEP 446)
            env={**os.environ, "HOME": str(profile)})
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict] = []

    def send(self, method: str, params: dict | None = None, session: str | None = None,
             deadline: float | None = None) -> dict:
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_chrome, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"Chromium: {method} failed: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str, session: str, deadline: float) -> dict:
        while True:
            for i, event in enumerate(self.events):
                if event.get("method") == method and event.get("sessionId") == session:
                    return self.events.pop(i)
            self.events.append(self._read(deadline))

    def _read(self, deadline: float | None) -> dict:
        while b"\0" not in self._buffer:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise TimeoutError("Chromium did not answer in time")
            ready, _, _ = select.select([self._from_chrome], [], [], left)
            if not ready:
                continue
            chunk = os.read(self._from_chrome, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium ended unexpectedly: " + self._stderr_tail())
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def _stderr_tail(self) -> str:
        try:
            self.process.wait(timeout=5)
            return (self.process.stderr.read() or b"").decode(errors="replace")[-2000:]
        except subprocess.TimeoutExpired:
            return "(still running)"

    def close(self) -> None:
        for fd in (self._to_chrome, self._from_chrome):
            try:
                os.close(fd)
            except OSError:
                pass
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stderr:
            self.process.stderr.close()


def write_pdf(html_path: Path, pdf_path: Path | None = None) -> PdfResult:
    """Print the report at ``html_path`` to ``pdf_path`` (default: the same name, .pdf)."""
    html_path = Path(html_path).resolve()
    pdf_path = Path(pdf_path) if pdf_path else html_path.with_suffix(".pdf")
    chromium = find_chromium()
    started = time.monotonic()
    deadline = started + TIMEOUT
    with tempfile.TemporaryDirectory(prefix="statmon-chromium-") as profile:
        tools = _DevTools(chromium, Path(profile))
        try:
            target = tools.send("Target.createTarget", {"url": "about:blank"}, deadline=deadline)["targetId"]
            session = tools.send("Target.attachToTarget", {"targetId": target, "flatten": True},
                                 deadline=deadline)["sessionId"]
            tools.send("Page.enable", session=session, deadline=deadline)
            tools.send("Page.navigate", {"url": html_path.as_uri()}, session=session, deadline=deadline)
            tools.wait_for("Page.loadEventFired", session, deadline)
            printed = tools.send("Page.printToPDF", {
                "paperWidth": A4_INCHES[0], "paperHeight": A4_INCHES[1], **MARGIN_INCHES,
                "printBackground": True, "displayHeaderFooter": True,
                "headerTemplate": "<span></span>", "footerTemplate": FOOTER,
                "generateTaggedPDF": True, "generateDocumentOutline": True,
            }, session=session, deadline=deadline)
            try:
                tools.send("Browser.close", deadline=time.monotonic() + 5)
            except (RuntimeError, TimeoutError):
                pass  # closing: close() below ends it either way
        finally:
            tools.close()
    data = base64.b64decode(printed["data"])
    temp = pdf_path.with_name(f".{pdf_path.name}.tmp")
    temp.write_bytes(data)
    temp.replace(pdf_path)
    return PdfResult(pdf_path, time.monotonic() - started)


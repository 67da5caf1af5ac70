"""Drive tests/interop/fedify/peer.mjs (a Fedify actor) from Python over JSON lines."""

from __future__ import annotations

import json
import queue
import subprocess
import threading
from pathlib import Path
from typing import IO, Any

from tests.interop.support import clean_env

FEDIFY_DIR = Path(__file__).resolve().parent / "fedify"
NODE = FEDIFY_DIR / "node_modules" / ".bin" / "node"
FEDIFY_PACKAGE = FEDIFY_DIR / "node_modules" / "@fedify" / "fedify" / "package.json"
INSTALL_HINT = "npm ci --prefix tests/interop/fedify --no-audit --no-fund"


def fedify_missing() -> str | None:
    """Why the Fedify peer cannot run here, or None when it can."""
    if not NODE.exists() or not FEDIFY_PACKAGE.exists():
        return f"Fedify is not installed in tests/interop/fedify/node_modules; run: {INSTALL_HINT}"
    return None


def fedify_version() -> str:
    return str(json.loads(FEDIFY_PACKAGE.read_text(encoding="utf-8"))["version"])


class FedifyPeer:
    """One `node peer.mjs` process: an actor `bob` served by Fedify on a loopback port."""

    def __init__(self, workdir: Path, ca_file: Path, *, first_knock: str = "rfc9421") -> None:
        self.log_path = workdir / f"fedify-{first_knock}.log"
        self._log: IO[bytes] = self.log_path.open("wb")
        self._lines: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.process = subprocess.Popen(
            [str(NODE), "peer.mjs", "--first-knock", first_knock, "--log-level", "debug", "--lifetime", "240"],
            cwd=FEDIFY_DIR, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log,
            # The CA of our TLS terminator: Fedify then reaches us over real, verified https.
            env=clean_env(NODE_EXTRA_CA_CERTS=str(ca_file), NO_COLOR="1"),
        )
        self._reader = threading.Thread(target=self._read, name="fedify-stdout", daemon=True)
        self._reader.start()
        ready = self._next(timeout=30)
        if ready.get("event") != "ready":
            raise RuntimeError(f"Fedify peer did not start: {ready}\n{self.log()}")
        self.ready = ready
        self.actor: str = ready["actor"]
        self.handle: str = ready["handle"]
        self.inbox: str = ready["inbox"]

    def _read(self) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            try:
                self._lines.put(json.loads(raw))
            except ValueError:
                self._lines.put({"event": "noise", "line": raw.decode(errors="replace")})
        self._lines.put(None)

    def _next(self, timeout: float) -> dict[str, Any]:
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"Fedify peer said nothing for {timeout} s\n{self.log()}") from None
        if line is None:
            raise AssertionError(f"Fedify peer exited ({self.process.poll()})\n{self.log()}")
        return line

    def command(self, cmd: str, *, timeout: float = 30, **args: Any) -> dict[str, Any]:
        """Send one command; return its answer (the peer's own wait is bounded by `timeout` too)."""
        assert self.process.stdin is not None
        self.process.stdin.write((json.dumps({"cmd": cmd, "timeout": timeout, **args}) + "\n").encode())
        self.process.stdin.flush()
        while True:
            line = self._next(timeout=timeout + 15)
            if line.get("cmd") == cmd:
                return line

    def log(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-20000:]

    def stop(self) -> None:
        try:
            if self.process.poll() is None:
                try:
                    assert self.process.stdin is not None
                    self.process.stdin.write(b'{"cmd": "quit"}\n')
                    self.process.stdin.flush()
                    self.process.wait(timeout=5)
                except (OSError, subprocess.TimeoutExpired):
                    self.process.kill()
                    self.process.wait(timeout=10)
        finally:
            self._reader.join(timeout=5)
            for pipe in (self.process.stdin, self.process.stdout):
                if pipe is not None:
                    try:
                        pipe.close()
                    except OSError:
                        pass
            self._log.close()

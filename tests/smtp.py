"""A real SMTP server (aiosmtpd) on a free local port that records every message it accepts."""

import email
import email.policy
import errno
import socket
import threading

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def on_free_ports(start, count: int = 1, attempts: int = 5):
    """What start(*ports) returns, called with ports that were free a moment ago. Another process may take one
    before the server listens on it (another test worker's server, an outgoing connection given it as its own);
    start then raises OSError(EADDRINUSE) and is called again with others."""
    for attempt in range(1, attempts + 1):
        try:
            return start(*(free_port() for _ in range(count)))
        except OSError as error:
            if error.errno != errno.EADDRINUSE or attempt == attempts:
                raise


def serve(handler) -> tuple[int, Controller]:
    """An aiosmtpd server answering with handler, started on a free local port: its port and its controller."""

    def start(port: int) -> tuple[int, Controller]:
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        controller.start()
        return port, controller

    return on_free_ports(start)


class RecordingHandler:
    def __init__(self, keep_parsed: bool):
        self.keep_parsed = keep_parsed
        self.messages: list[email.message.EmailMessage] = []  # as email.policy.strict reads them, when kept
        self.raw: list[bytes] = []  # as sent
        self.defects: list[str] = []  # what the strict parser found wrong in any part of any message
        self.replies: list[str] = []  # scripted answers to DATA, used up in order; then "250 OK"
        self.delay = 0.0  # seconds to wait before answering DATA, to catch a worker mid-batch
        self.lock = threading.Lock()
        self.connections = 0  # SMTP sessions opened (one EHLO each)

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        self.connections += 1
        return responses

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            import asyncio

            await asyncio.sleep(self.delay)
        with self.lock:
            reply = self.replies.pop(0) if self.replies else "250 OK"
            if reply.startswith("250"):
                self.raw.append(envelope.content)
                message = email.message_from_bytes(envelope.content, policy=email.policy.strict)
                if self.keep_parsed:
                    self.messages.append(message)
                self.defects += [
                    f"{message['To']}, {part.get_content_type()}: {defect!r}"
                    for part in message.walk()
                    for defect in part.defects
                ]
        return reply


class SMTPServer:
    def __init__(self, keep_parsed: bool = True):
        """keep_parsed=False keeps the messages as sent only, after checking them (the benchmark, whose peak memory
        includes this server's)."""
        self.handler = RecordingHandler(keep_parsed)
        self.port: int | None = None
        self.controller: Controller | None = None

    @property
    def messages(self):
        return self.handler.messages

    @property
    def raw(self):
        return self.handler.raw

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def answer(self, *replies: str) -> None:
        """Answer the next DATA commands with these replies, e.g. "451 4.3.0 Try again later"."""
        self.handler.replies.extend(replies)

    def start(self) -> "SMTPServer":
        self.port, self.controller = serve(self.handler)
        return self

    def stop(self) -> None:
        self.controller.stop()

"""The tests' own servers choose a free port, then listen on it. Another process may take it in between (another
test worker's server, or an outgoing connection given it as its own port): the server then listens on another one,
as it did not when CI once ran (slapd exited at start, the test erred)."""

import smtplib
import socket

import ldap
import pytest

import tests.smtp
from tests.directory import Directory
from tests.smtp import SMTPServer


@pytest.fixture
def first_choice_taken(monkeypatch):
    """The first port chosen is one another socket holds; then free ones. Yields the ports handed out."""
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    taken = holder.getsockname()[1]
    choose = tests.smtp.free_port
    handed_out = []

    def free_port():
        handed_out.append(taken if not handed_out else choose())
        return handed_out[-1]

    monkeypatch.setattr(tests.smtp, "free_port", free_port)
    yield handed_out
    holder.close()


def test_an_smtp_server_whose_port_was_taken_meanwhile_listens_on_another(first_choice_taken):
    server = SMTPServer().start()
    try:
        with smtplib.SMTP("127.0.0.1", server.port, timeout=10) as client:
            client.sendmail("a@example.org", ["b@example.org"], b"Subject: hello\r\n\r\nbody\r\n")
    finally:
        server.stop()

    taken = first_choice_taken[0]
    assert server.port != taken
    assert server.port in first_choice_taken
    assert server.raw and b"Subject: hello" in server.raw[0]


def test_a_directory_whose_port_was_taken_meanwhile_listens_on_others(first_choice_taken, tmp_path):
    directory = Directory(tmp_path / "directory")
    try:
        directory.start()
        connection = ldap.initialize(directory.uri)
        connection.simple_bind_s("", "")  # answered: the server is up
        connection.unbind_s()
    finally:
        directory.remove()

    taken = first_choice_taken[0]
    assert f":{taken}" not in directory.uri + directory.tls_uri
    assert directory.uri.rsplit(":", 1)[1] in map(str, first_choice_taken)

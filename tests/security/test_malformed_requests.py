"""Whatever bytes arrive, the emulator answers in the API's JSON error format (or, when nothing at all was
sent, closes cleanly) and keeps serving; idle connections are closed; oversized bodies are refused unread."""

from __future__ import annotations

import socket

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from localcloud.guard import MAX_BODY_BYTES
from localcloud.server import Server
from tests.security.helpers import address, exchange, is_api_error, parse, request_bytes

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def still_serving(url: str) -> bool:
    answer = parse(exchange(url, request_bytes(url, "GET", "/_localcloud/health")))
    return answer.status == 200 and answer.json()["ok"] is True


def api_error(url: str, data: bytes, status: int, code: str) -> dict:
    answer = parse(exchange(url, data))
    assert answer.status == status, answer.body
    assert answer.headers["content-type"].startswith("application/json")
    doc = answer.json()
    assert is_api_error(doc) and doc["Code"] == code, doc
    assert still_serving(url)
    return doc


def test_a_content_length_that_is_not_a_number_is_a_400(url):
    data = request_bytes(url, "POST", "/", b"Action=x", {"Content-Length": "abc"})
    assert "Content-Length" in api_error(url, data, 400, "BadRequest")["Message"]


def test_a_negative_content_length_is_a_400(url):
    api_error(url, request_bytes(url, "POST", "/", b"", {"Content-Length": "-5"}), 400, "BadRequest")


def test_a_huge_content_length_is_refused_without_reading_the_body(url):
    data = request_bytes(url, "POST", "/", b"", {"Content-Length": "1000000000"})
    doc = api_error(url, data, 413, "RequestEntityTooLarge")
    assert str(MAX_BODY_BYTES) in doc["Message"]


def test_a_huge_body_announced_with_expect_100_continue_is_refused_before_continue(url):
    data = request_bytes(url, "POST", "/", b"", {"Content-Length": str(MAX_BODY_BYTES + 1), "Expect": "100-continue"})
    raw = exchange(url, data)
    assert not raw.startswith(b"HTTP/1.1 100")
    assert parse(raw).json()["Code"] == "RequestEntityTooLarge"


def test_a_body_just_over_the_limit_is_refused(url):
    body = b"a" * (MAX_BODY_BYTES + 1)
    api_error(url, request_bytes(url, "POST", "/", body, FORM), 413, "RequestEntityTooLarge")


def test_a_form_body_that_is_not_utf8_is_a_400(url):
    doc = api_error(
        url, request_bytes(url, "POST", "/", b"Action=\xff\xfe&Version=2016-04-28", FORM), 400, "BadRequest"
    )
    assert "UTF-8" in doc["Message"]


def test_a_body_shorter_than_its_content_length_is_a_400(url):
    api_error(url, request_bytes(url, "POST", "/", b"Action=", {"Content-Length": "50"}), 400, "BadRequest")


def test_chunked_bodies_are_refused(url):
    data = request_bytes(
        url, "POST", "/", b"5\r\nhello\r\n0\r\n\r\n", {"Transfer-Encoding": "chunked", "Content-Length": None}
    )
    api_error(url, data, 400, "BadRequest")


@pytest.mark.parametrize(
    "line",
    [
        b"garbage\r\n\r\n",
        b"GET /\r\n\r\n",
        b"\r\n",
        b"\x00\xff\xfe junk \x80\r\n\r\n",
        b"GET / HTTP/9.9\r\n\r\n",
        b"GET / FTP/1.0\r\n\r\n",
        b"A B C D\r\n\r\n",
    ],
)
def test_a_garbage_request_line_gets_a_json_error(url, line):
    answer = parse(exchange(url, line))
    assert answer.status >= 400 and is_api_error(answer.json())
    assert still_serving(url)


def test_an_unknown_method_gets_the_gateways_unsupported_method_error(url):
    api_error(url, request_bytes(url, "BREW", "/"), 403, "UnsupportedHTTPMethod")


def test_a_request_line_too_long_gets_a_json_error(url):
    api_error(url, b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n", 414, "RequestURITooLong")


def test_too_many_headers_get_a_json_error(url):
    headers = {f"X-{i}": "v" for i in range(150)}
    api_error(url, request_bytes(url, "GET", "/", b"", headers), 431, "RequestHeaderFieldsTooLarge")


@pytest.fixture
def quick_server(emulator_server):
    """A second front on the shared emulator whose connections time out after 0.5 s of silence."""
    import threading

    server = Server(emulator_server.emulator, idle_timeout=0.5)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def read_until_closed(sock) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def test_a_silent_connection_is_closed_without_an_answer(quick_server):
    with socket.create_connection(address(quick_server.url), timeout=15) as sock:
        assert read_until_closed(sock) == b""  # closed by the server (the socket timeout bounds the wait)


@pytest.mark.parametrize("sent", [b"GET / HT", b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10\r\n\r\n"])
def test_a_request_that_stalls_half_way_gets_408_and_is_closed(quick_server, sent):
    with socket.create_connection(address(quick_server.url), timeout=15) as sock:
        sock.sendall(sent)
        answer = parse(read_until_closed(sock))
    assert answer.status == 408 and answer.json()["Code"] == "RequestTimeout"


def test_idle_keep_alive_connections_do_not_pile_up(quick_server):
    socks = [socket.create_connection(address(quick_server.url), timeout=15) for _ in range(40)]
    try:
        assert all(sock.recv(1) == b"" for sock in socks)  # each one closed by the server
    finally:
        for sock in socks:
            sock.close()
    assert still_serving(quick_server.url)


def test_connections_past_the_cap_get_503_and_the_first_ones_still_work(emulator_server):
    import threading

    server = Server(emulator_server.emulator)  # the default 60 s idle timeout
    server.max_connections = 3
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    held = [socket.create_connection(address(server.url), timeout=15) for _ in range(3)]
    try:
        with socket.create_connection(address(server.url), timeout=15) as extra:
            answer = parse(read_until_closed(extra))
        assert answer.status == 503 and answer.json()["Code"] == "ServiceUnavailable"
        held[0].sendall(request_bytes(server.url, "GET", "/_localcloud/health"))
        assert parse(read_until_closed(held[0])).json()["ok"] is True
    finally:
        for sock in held:
            sock.close()
        server.shutdown()
        server.server_close()


# --- property: arbitrary bytes ------------------------------------------------------------------

_TOKENS = st.sampled_from(
    [
        "GET",
        "POST",
        "PUT",
        "DELETE",
        "HEAD",
        "OPTIONS",
        "BREW",
        "/",
        "/_localcloud/health",
        "/_localcloud/reset",
        "/?Action=DescribeVpcs&Version=2016-04-28",
        "HTTP/1.1",
        "HTTP/1.0",
        "HTTP/2.0",
        " ",
        "\r\n",
        "\n",
        ":",
        "Content-Length: ",
        "Host: ",
        "Origin: ",
        "Transfer-Encoding: chunked",
        "Expect: 100-continue",
        "Content-Type: application/json",
        "Content-Type: application/x-www-form-urlencoded",
        "0",
        "7",
        "-1",
        "99999999999",
        "127.0.0.1",
        "evil.example",
        "\xff",
        "\x00",
        "%ff",
        "{}",
        "é",
    ]
)


@st.composite
def http_like(draw) -> bytes:
    """Request-shaped bytes: a request line and headers built from HTTP's own pieces, then any body."""
    words = draw(st.lists(st.one_of(_TOKENS, st.text(max_size=12)), max_size=30))
    body = draw(st.binary(max_size=200))
    return "".join(words).encode("utf-8", "surrogatepass") + b"\r\n\r\n" + body


@settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.one_of(st.binary(max_size=600), http_like()))
def test_arbitrary_request_bytes_get_a_json_answer_and_the_server_stays_up(emulator_server, data):
    url = emulator_server.url
    raw = exchange(url, data)
    if not data:
        assert raw == b""  # nothing was asked: a clean close is the only possible answer
    else:
        first = data.split(None, 1)[0] if data.split() else b""
        answer = parse(raw, head_only=first == b"HEAD")
        if first != b"HEAD":
            assert answer.headers["content-type"].startswith("application/json")
            doc = answer.json()
            if answer.status >= 400:
                # The gateway's error document; the control API's own refusals carry "error".
                assert is_api_error(doc) or isinstance(doc.get("error"), str), doc
    assert still_serving(url)

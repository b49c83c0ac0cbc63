"""The stack loader bounds what it reads and turns every problem into exit 2 naming the field or the line,
with no API call, no traceback, and no huge value echoed back."""

from __future__ import annotations

import os

import pytest
import yaml

from provisioner.errors import SpecError
from provisioner.spec import load_stack, parse_stack
from provisioner.stackfile import MAX_BYTES
from tests.security.helpers import default_stack, run_cli, with_changes


def dump(data) -> str:
    return yaml.safe_dump(data, sort_keys=False)


def refused(text: str) -> SpecError:
    with pytest.raises(SpecError) as caught:
        parse_stack(text)
    return caught.value


def test_a_name_with_a_final_newline_is_refused():
    # A `$` pattern matches before a final newline; the loader uses fullmatch.
    err = refused(dump(with_changes({"name": "fleet\n"})))
    assert err.field == "name" and "1-40 characters" in str(err)


def test_a_name_with_a_space_or_an_upper_case_letter_is_refused():
    for name in ("my fleet", "Fleet", "-fleet", "fleet-"):
        assert refused(dump(with_changes({"name": name}))).field == "name"


def test_a_zone_with_a_newline_is_refused():
    err = refused(dump(with_changes({"zones": ["cn-hangzhou-i\n"]})))
    assert err.field == "zones[0]"


def test_an_alias_bomb_is_refused_at_once_naming_the_line():
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(9)
    )
    text = bomb + dump(default_stack()).replace("count: 3", "count: *j")  # 9 * 4**9 items, unexpanded
    err = refused(text)
    assert "anchors (&a)" in str(err) and "line 1," in str(err)


def test_an_alias_alone_is_refused():
    err = refused(dump(default_stack()) + "x: &n 3\ny: *n\n")
    assert "anchors" in str(err) or "aliases" in str(err)


def test_merge_keys_are_refused():
    err = refused(dump(default_stack()).replace("network:\n", "network:\n  <<: {vpc_cidr: 10.0.0.0/16}\n"))
    assert "merge keys" in str(err)


def test_complex_keys_are_refused():
    err = refused(dump(default_stack()) + "? [a, b]\n: 1\n")
    assert "plain value" in str(err)


def test_deep_nesting_is_refused_without_a_recursion_error():
    err = refused(dump(default_stack()) + "x: " + "[" * 5000 + "]" * 5000 + "\n")
    assert "nesting deeper" in str(err)


def test_a_5000_digit_integer_is_refused():
    err = refused(dump(default_stack()).replace("count: 3", "count: " + "9" * 5000))
    assert "5000 digits" in str(err) and len(str(err)) < 400


def test_a_long_bad_value_is_cut_in_the_message():
    err = refused(dump(with_changes({"region": "x" * 100_000})))
    assert err.field == "region" and len(str(err)) < 400 and "100002 characters" in str(err)


def test_a_long_unknown_key_is_cut_in_the_message():
    err = refused(dump(with_changes({"k" * 100_000: 1})))
    assert len(str(err)) < 600 and "unknown key" in str(err)


def test_a_string_command_with_an_unterminated_quote_is_a_spec_error():
    err = refused(dump(with_changes({"serving": {"server": {"command": "python -c 'print(1)"}}})))
    assert err.field == "serving.server.command" and "not a valid command line" in str(err)


def test_admin_cidrs_inside_the_slb_range_are_refused():
    err = refused(dump(with_changes({"access": {"admin_cidrs": ["100.100.0.0/16"]}})))
    assert err.field == "access.admin_cidrs[0]" and "100.64.0.0/10" in str(err)


def test_a_key_pair_name_with_a_newline_is_refused():
    assert refused(dump(with_changes({"access": {"key_pair": "key\nx"}}))).field == "access.key_pair"


def test_a_health_path_outside_the_slb_character_set_is_refused():
    err = refused(dump(with_changes({"serving": {"health_path": "/ready\u2028x"}})))
    assert err.field == "serving.health_path"


@pytest.mark.parametrize("tagged", ["!!timestamp abc", "!!int abc", "!!bool maybe", "!!float x"])
def test_an_explicit_tag_that_does_not_fit_its_value_is_a_spec_error_naming_the_line(tagged):
    err = refused(dump(default_stack()).replace("name: fleet-default", f"name: {tagged}"))
    assert "cannot be read as" in str(err) and "line" in str(err)


def test_a_file_over_the_limit_is_refused_without_reading_it_all(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_text(dump(default_stack()) + "#" * (MAX_BYTES + 10) + "\n")
    with pytest.raises(SpecError) as caught:
        load_stack(str(path))
    assert "larger than 1024 KiB" in str(caught.value)


def test_dev_zero_is_refused_as_too_large():
    with pytest.raises(SpecError) as caught:
        load_stack("/dev/zero")
    assert "larger than" in str(caught.value)


def test_a_fifo_without_a_writer_reads_as_empty_instead_of_hanging(tmp_path):
    fifo = tmp_path / "stack.fifo"
    os.mkfifo(fifo)
    with pytest.raises(SpecError) as caught:
        load_stack(str(fifo))
    assert "must hold a mapping" in str(caught.value)


def test_a_pipe_with_a_writer_is_read_to_its_end():
    # What `--stack <(generate-stack)` gives: a pipe whose writer is already there.
    read_end, write_end = os.pipe()
    os.write(write_end, dump(default_stack()).encode())
    os.close(write_end)
    try:
        assert load_stack(f"/proc/self/fd/{read_end}").name == "fleet-default"
    finally:
        os.close(read_end)


def test_a_file_that_is_not_utf8_is_refused_naming_the_line(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(dump(default_stack()).encode() + b"x: caf\xe9\n")
    with pytest.raises(SpecError) as caught:
        load_stack(str(path))
    assert "not UTF-8" in str(caught.value) and "line" in str(caught.value)


@pytest.mark.parametrize("case", ["alias-bomb", "not-utf8", "deep", "huge-int", "name-newline", "dev-zero"])
def test_each_bad_file_is_exit_2_with_one_json_document_and_no_api_call(case, emulator, tmp_path):
    path = tmp_path / "stack.yaml"
    base = dump(default_stack())
    content = {
        "alias-bomb": (base.replace("count: 3", "count: *a") + "a: &a [1, 1]\n").encode(),
        "not-utf8": base.encode() + b"\xff\xfe\n",
        "deep": (base + "x: " + "{a: " * 3000 + "1" + "}" * 3000 + "\n").encode(),
        "huge-int": base.replace("count: 3", "count: " + "1" * 5000).encode(),
        "name-newline": dump(with_changes({"name": "fleet\n"})).encode(),
        "dev-zero": None,
    }[case]
    stack = "/dev/zero" if content is None else str(path)
    if content is not None:
        path.write_bytes(content)
    result = run_cli(emulator, ["plan", "--stack", stack, "--state", str(tmp_path / "s.json"), "--json"])
    assert result.exception is None, result.exception
    assert result.exit_code == 2
    assert result.doc["ok"] is False and result.doc["error"]["type"] == "SpecError"
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert result.api_calls == 0
    assert not (tmp_path / "s.json").exists()

"""The YAML loader: values with lines, and hostile input refused with file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from guidegen.errors import SiteError
from guidegen.yaml_loader import YList, YMap, load_yaml_file, parse_yaml


def test_values_remember_their_lines() -> None:
    value = parse_yaml(
        "# comment\n- slug: a\n  name: A\n\n- slug: b\n  updated: 2026-11-01\n", "x.yaml"
    )
    assert isinstance(value, YList)
    assert value.item_lines == [2, 5]
    first = value[0]
    assert isinstance(first, YMap)
    assert first.key_line("name") == 3
    assert value[1]["updated"] == "2026-11-01"  # YAML 1.2: no implicit dates


def test_line_offset_for_front_matter() -> None:
    value = parse_yaml("title: x\nupdated: 2026-01-01\n", "c.md", line_offset=1)
    assert value.key_line("updated") == 3


def test_merge_keys_and_aliases_work_within_budget() -> None:
    value = parse_yaml("base: &b {prescriber: neurologist}\ndrug:\n  <<: *b\n  name: X\n", "x.yaml")
    assert value["drug"] == {"prescriber": "neurologist", "name": "X"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: 1\na: 2\n", "x.yaml:2: duplicate key 'a' (first defined on line 1)"),
        ("a: !!python/object/apply:os.system [ls]\n", "x.yaml:1: unsupported YAML tag"),
        ("a: !custom 3\n", "x.yaml:1: cannot read value"),
        ("a: b: c\n", "x.yaml:1: YAML syntax error: mapping values are not allowed"),
        ("---\na: 1\n---\nb: 2\n", "x.yaml:3: YAML syntax error: but found another document"),
        ("x: " + "[" * 100 + "]" * 100 + "\n", "x.yaml:1: YAML is nested more than 40 levels deep"),
    ],
)
def test_hostile_yaml_is_refused(text: str, message: str) -> None:
    with pytest.raises(SiteError) as info:
        parse_yaml(text, "x.yaml")
    assert message in str(info.value)


def test_alias_bomb_is_refused_quickly() -> None:
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]']
    for prev, name in zip("abcdefghi", "bcdefghij", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 10) + "]")
    with pytest.raises(SiteError, match="YAML expands to more than"):
        parse_yaml("\n".join(lines), "bomb.yaml")


def test_encodings(tmp_path: Path) -> None:
    bom = tmp_path / "bom.yaml"
    bom.write_bytes(b"\xef\xbb\xbfa: 1\n")
    assert load_yaml_file(bom, "bom.yaml") == {"a": 1}
    utf16 = tmp_path / "utf16.yaml"
    utf16.write_bytes("a: 1\n".encode("utf-16"))
    with pytest.raises(SiteError, match="utf16.yaml:1: file is encoded as UTF-16"):
        load_yaml_file(utf16, "utf16.yaml")
    latin = tmp_path / "latin.yaml"
    latin.write_bytes(b"a: 1\nb: caf\xe9\n")
    with pytest.raises(SiteError, match="latin.yaml:2: file is not valid UTF-8"):
        load_yaml_file(latin, "latin.yaml")


def test_size_cap(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text("a: " + "x" * 2000 + "\n", encoding="utf-8")
    with pytest.raises(SiteError, match="over the 1,000-byte limit"):
        load_yaml_file(big, "big.yaml", max_bytes=1000)


def test_errors_survive_pickling() -> None:
    import pickle

    error = SiteError("boom", None, "fix it")
    copy = pickle.loads(pickle.dumps(error))
    assert copy.render() == "boom (fix it)"

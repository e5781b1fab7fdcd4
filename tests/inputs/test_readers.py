"""Reading tables: strict decoding, file kinds and size limits (linkage_opt/inputs/readers.py)."""

from __future__ import annotations

import pytest

from linkage_opt.inputs.readers import decode_text


def test_utf8_gbk_and_utf16_decode_strictly():
    text = "单位编号,名称\nU1,东门社区\n"
    assert decode_text(text.encode("utf-8")) == (text, "utf-8", None)
    assert decode_text(b"\xef\xbb\xbf" + text.encode("utf-8")) == (text, "utf-8", None)
    assert decode_text(text.encode("gbk")) == (text, "gb18030", None)
    assert decode_text(text.encode("utf-16")) == (text, "utf-16", None)


@pytest.mark.parametrize(
    "data, row, byte, blamed",
    [
        # a UTF-8 file with three bad bytes in row 3's name
        ("单位编号,名称\nU1,东门社区\nU2,西".encode() + b"\x80\x81\xff" + "村\n".encode(), 3, 0x80, "UTF-8"),
        # a GBK file with a byte GBK never uses, in row 2
        ("单位编号,名称\n".encode("gbk") + b"U1,\xff\n", 2, 0xFF, "GBK/GB18030"),
        # a single-byte code page (Latin-1 'café'): not guessed
        (b"unit_id,name\nU1,caf\xe9,x\n", 2, 0xE9, "GBK/GB18030"),
        # a UTF-8 BOM: only UTF-8 is tried
        (b'\xef\xbb\xbfunit_id,name\n"a\nb",\xc3\x28\n', 2, 0xC3, "UTF-8"),
    ],
)
def test_undecodable_bytes_are_located_never_guessed(data, row, byte, blamed):
    offset = data.index(bytes([byte]))
    text, reason, got_row = decode_text(data)
    assert text is None
    assert got_row == row
    assert reason.startswith(f"invalid {blamed} at byte offset {offset:,} (0x{byte:02X})"), reason


def test_charset_normalizer_is_no_longer_a_dependency():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text(encoding="utf-8")
    assert "charset-normalizer" not in text

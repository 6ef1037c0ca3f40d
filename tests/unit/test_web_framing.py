"""The web app's `rt=c` framing (reference/gemini-web-protocol.md §3.5): UTF-16 length prefixes, frames split
anywhere across network pieces, un-prefixed bodies, and the recorded captures."""

from __future__ import annotations

import json

import pytest

from gemgate.upstreams.web.framing import FrameReader, FramingError, read_frames, utf16_units
from tests.support.fixtures import capture_files, fixtures_dir


def framed(*values) -> str:
    """A body framed as the reference says: N = UTF-16 units of "\\n" + JSON + "\\n"."""
    out = ")]}'\n\n"
    for value in values:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        out += f"{utf16_units(chr(10) + text + chr(10))}\n{text}\n"
    return out


def test_utf16_units_count_astral_characters_twice():
    assert utf16_units("a") == 1 and utf16_units("é") == 1 and utf16_units("😀") == 2


def test_frames_split_at_every_position_come_out_whole_and_once():
    values = [[["wrb.fr", None, "[1]"]], [["di", 12], ["af.httprm", 11, "42", 2]], [["e", 4, None, None, 99]]]
    values.insert(1, [["wrb.fr", None, "héllo 😀 wörld"]])
    body = framed(*values)
    for cut in range(len(body) + 1):
        reader = FrameReader()
        got = reader.feed(body[:cut]) + reader.feed(body[cut:]) + reader.close()
        assert got == values, cut


def test_a_frame_is_not_given_out_before_its_prefix_is_satisfied():
    # A JSON value that is complete on its own but whose prefix says more is coming (astral text counts twice).
    text = json.dumps([["wrb.fr", None, "😀😀"]], ensure_ascii=False)
    n = utf16_units("\n" + text + "\n")
    reader = FrameReader()
    assert reader.feed(f")]}}'\n\n{n}\n" + text[:-1]) == []
    assert reader.feed(text[-1] + "\n") == [json.loads(text)]


def test_unprefixed_body_and_garbage():
    assert read_frames(")]}'\n\n[[\"wrb.fr\",\"x\",\"[]\"]]") == [[["wrb.fr", "x", "[]"]]]
    with pytest.raises(FramingError):
        read_frames(")]}'\n\n12\n[[\"wrb.fr\"")
    with pytest.raises(FramingError):
        read_frames("<html>sorry</html>")


def _body(path) -> str:
    text = path.read_text(encoding="utf-8")
    return json.loads(text) if path.suffix == ".json" else text  # some captures are JSON strings of the body


def test_every_prefixed_capture_reads():
    web = fixtures_dir() / "gemini-web"
    if not web.is_dir():
        pytest.skip(f"no gemini-web captures in {web}")
    for path in capture_files(web, "Leechael__*"):
        frames = read_frames(_body(path))
        assert frames and all(isinstance(f, list) for f in frames), path.name


def test_prefixes_of_the_sanitised_captures_are_utf16_lengths():
    web = fixtures_dir() / "gemini-web"
    if not web.is_dir():
        pytest.skip(f"no gemini-web captures in {web}")
    for path in capture_files(web, "Leechael__*_basic*.txt"):
        body = path.read_text(encoding="utf-8")
        prefix, _, rest = body[len(")]}'\n"):].lstrip("\n").partition("\n")
        frame = rest.rstrip("\n")
        # Each holds one frame; its prefix counts the newline before it (and at most the one after it).
        assert int(prefix) in (utf16_units("\n" + frame + "\n"), utf16_units("\n" + frame)), path.name


# A hostile or broken server (issue 9 hardening): one classified FramingError, bounded work and memory.

def test_json_nested_deeper_than_the_decoder_can_go_is_a_framing_error():
    deep = "[" * 100_000 + "]" * 100_000
    for body in (")]}'\n\n" + deep, f")]}}'\n\n{len(deep) + 2}\n{deep}\n"):
        with pytest.raises(FramingError, match="nests"):
            read_frames(body)


def test_a_frame_over_the_limit_is_refused_while_it_arrives():
    reader = FrameReader(limit=10_000)
    reader.feed(")]}'\n\n999999999\n[\"")  # a prefix that lies: the frame never ends
    with pytest.raises(FramingError, match="larger than 10000"):
        for _ in range(100):
            reader.feed("a" * 1000)


class _Counting:
    """Wraps the module's decoder and utf16_units, summing the characters each is handed."""

    def __init__(self, monkeypatch) -> None:
        from gemgate.upstreams.web import framing

        self.chars = 0
        decoder, units = framing._decoder, framing.utf16_units

        class Decoder:
            def raw_decode(inner, text, start):  # noqa: N805 - a stand-in for json.JSONDecoder
                self.chars += len(text) - start
                return decoder.raw_decode(text, start)

        def counted(text):
            self.chars += len(text)
            return units(text)

        monkeypatch.setattr(framing, "_decoder", Decoder())
        monkeypatch.setattr(framing, "utf16_units", counted)


@pytest.mark.parametrize("prefix", ["", "99999999\n", "5\n"], ids=["unprefixed", "lying-long", "lying-short"])
def test_a_frame_arriving_in_many_pieces_is_read_in_linear_work(monkeypatch, prefix):
    counting = _Counting(monkeypatch)
    reader = FrameReader()
    reader.feed(")]}'\n\n" + prefix + '["')
    pieces = 20_000
    for _ in range(pieces):
        assert reader.feed("a" * 10) == []
    # every character looked at a bounded number of times (re-scanning the buffer per piece would be ~10^9)
    assert counting.chars < 8 * pieces * 10

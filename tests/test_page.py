"""autograd's page base (autograd.extend: Widget, encode_payload, decode_payload,
script_json, css_colour; read_payload, which reads a written page back): the data a page
carries reads back the same, whatever text it holds, and a widget's id comes from its data."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd.extend import (
    Widget,
    css_colour,
    decode_payload,
    encode_payload,
    script_json,
)
from autograd.viz.page import read_payload

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


def widget(data: object, *, compress: bool) -> Widget:
    return Widget(
        kind="vg-test",
        payload=encode_payload(data, compress=compress),
        script="var Test = {build: function (root, data) { return data; }};",
        build="Test.build",
        name="test widget",
        fallback="<p>needs JavaScript</p>",
    )


@given(data=JSON, compress=st.booleans())
def test_the_data_reads_back_the_same_from_the_payload_and_the_page(data, compress) -> None:
    payload = encode_payload(data, compress=compress)
    assert decode_payload(payload) == data
    page = widget(data, compress=compress).page("title")
    assert read_payload(page) == data


@given(text=st.text())
def test_no_text_can_end_the_script_element_that_carries_it(text) -> None:
    for payload in (script_json(text), encode_payload(text), encode_payload(text, compress=True)):
        assert "<" not in payload and ">" not in payload and "&" not in payload
    page = widget(["</script><!--<script>", text], compress=False).page("t")
    assert page.count("</script>") == 2  # the payload's element and the script's own


def test_the_id_comes_from_the_data_and_the_title_is_escaped() -> None:
    a, b = widget([1, 2], compress=True), widget([1, 2], compress=True)
    assert a.uid == b.uid and a.uid.startswith("vg-test-")
    assert widget([1, 3], compress=True).uid != a.uid
    page = a.page("<b>&</b>")
    assert "<title>&lt;b&gt;&amp;&lt;/b&gt;</title>" in page
    assert f'ValuegradPage.mountId("{a.uid}", Test.build, "test widget");' in page


def test_a_colour_must_be_one_a_style_can_hold() -> None:
    assert css_colour("#1f77b4", "c") == "#1f77b4"
    assert css_colour("rgb(31, 119, 180)", "c") == "rgb(31, 119, 180)"
    with pytest.raises(ValueError, match="c must be a CSS colour"):
        css_colour("red; background: url(x)", "c")


def test_nan_is_refused_json_has_none() -> None:
    with pytest.raises(ValueError):
        encode_payload([float("nan")])


def test_a_page_without_a_payload_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="read_payload: the page holds no widget's payload"):
        read_payload("<html><body>nothing here</body></html>")

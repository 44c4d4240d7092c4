"""Moodle XML is parsed with defusedxml: a DTD is refused however the file hides it (issue 11 point 5)."""
import pytest

from quizzes.services.formats import FileError, moodle_xml

QUESTION = ('<question type="truefalse"><name><text>q</text></name><questiontext format="html"><text>&t;</text>'
            '</questiontext><answer fraction="100"><text>true</text></answer>'
            '<answer fraction="0"><text>false</text></answer></question>')
WITH_DTD = '<?xml version="1.0" encoding="{enc}"?>{pad}<!DOCTYPE quiz [<!ENTITY t "实体">]><quiz>' + QUESTION + "</quiz>"


@pytest.mark.parametrize("encoding, pad", [("utf-16", ""), ("utf-8", "<!--" + "x" * 4096 + "-->")])
def test_moodle_xml_with_a_hidden_dtd_is_refused(encoding, pad):
    data = WITH_DTD.format(enc=encoding, pad=pad).encode(encoding)
    with pytest.raises(FileError, match="document type"):
        moodle_xml.parse(data)


def test_moodle_xml_without_a_dtd_still_parses():
    data = ("<quiz>" + QUESTION.replace("&t;", "党章") + "</quiz>").encode()
    assert len(moodle_xml.parse(data)) == 1

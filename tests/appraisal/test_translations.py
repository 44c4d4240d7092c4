"""Every message of the appraisal package's code and pages has its Chinese."""
from tests.helpers import untranslated


def test_every_message_of_the_appraisal_package_has_a_chinese_translation():
    assert untranslated("appraisal") == []

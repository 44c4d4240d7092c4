"""Words that reach the quizzes pages from services that do not translate them (the bank's field errors,
the quiz settings' field errors and codes). Listed so that `pybabel extract` puts them into the catalogue;
the pages pass them through `gettext`."""


def N_(text: str) -> str:
    """Mark a string for extraction without translating it here."""
    return text


QUESTION_FIELD_ERRORS = [
    N_("the stem is empty"), N_("difficulty is 1-3 or 简单/中等/困难"), N_("a positive number up to 100"),
    N_("a choice question needs at least two options"), N_("option keys must be distinct letters A-H"),
    N_("the answer is missing"), N_("a single-choice question has exactly one answer"),
    N_("a true/false answer is 正确/错误 (T/F)"),
    N_("each blank needs at least one accepted answer (blanks split by ;, alternatives by |)"),
]

QUIZ_FIELD_ERRORS = [
    N_("required"), N_("a special quiz needs open and close times"), N_("must be after open_at"),
    N_("a course exam names its course"), N_("no published course with this id is meant for this organisation"),
    N_("seconds from 5 to 86400, or empty"), N_("0 (unlimited) to 100"), N_("a percentage from 0 to 100"),
    N_("pool.mode is fixed, random or wrong_book"), N_("a fixed pool lists question ids"),
    N_("a question appears twice"), N_("count is a whole number from 1 to 200"),
    N_("locked_after_attempts"), N_("personal"),
]

QUIZ_FIELDS = [N_("pool"), N_("kind"), N_("course_id"), N_("open_at"), N_("time_limit_s"), N_("question_time_s"),
               N_("pass_mark"), N_("show_answers"), N_("shuffle_questions"), N_("shuffle_options")]

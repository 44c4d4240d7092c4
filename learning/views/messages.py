"""Words that reach pages from modules which do not translate them (service field errors, policy
choices, HTTP error texts). Listed here so that `pybabel extract` puts them into the catalogue;
pages pass them through `gettext` when they show them."""


def N_(text: str) -> str:
    """Mark a string for extraction without translating it here."""
    return text


SERVICE_FIELD_ERRORS = [
    N_("3-64 letters, digits, _ . -"), N_("required"), N_("not a mainland mobile number"),
    N_("in the future"), N_("impossible date"), N_("already used by another account"), N_("unknown"),
    N_("cycle"), N_("wrong_level"), N_("not_a_branch"), N_("length"), N_("too_short"), N_("too_simple"),
    N_("invalid"), N_("scope"), N_("unchanged"), N_("after_to"), N_("one of male, female"),
    N_("one of full, probationary"),
]

POLICY_CHOICES = [N_("public"), N_("own_rank"), N_("hidden")]  # codes of ranking_visibility shown as words

HTTP_WORDS = [
    N_("The requested URL was not found on the server. If you entered the URL manually please check your "
       "spelling and try again."),
    N_("Page not found."), N_("Role grant not found."),
    N_("The CSRF token is missing."), N_("The CSRF token is invalid."), N_("The CSRF session token is missing."),
    N_("The CSRF tokens do not match."), N_("The referrer header is missing."),
    N_("The method is not allowed for the requested URL."),
    N_("The browser (or proxy) sent a request that this server could not understand."),
]

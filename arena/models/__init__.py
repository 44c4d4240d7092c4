"""Tables of the arena package: live events (event.py) and quick matches (match.py)."""
from .event import (EVENT_STATUSES, PHASES, ROUND_KINDS, ArenaAction, ArenaAnswer, ArenaBuzz, ArenaContestant, ArenaEvent, ArenaReaction,  # noqa: F401
                    ArenaRound, ArenaScore, ArenaSlot, ArenaStreamEvent, ArenaTeamMember)
from .match import (MATCH_MODES, ArenaRating, Match, MatchAnswer, MatchPlayer, MatchQuestion,  # noqa: F401
                    MatchTicket)

"""JSON API of appraisal (DESIGN §7): campaigns, ballots, results, determinations, rectification."""
from .campaigns import blp as campaigns_blp
from .outcomes import blp as outcomes_blp

blueprints = [campaigns_blp, outcomes_blp]

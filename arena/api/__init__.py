"""JSON API of the arena package (DESIGN §7, arena row): one module per half."""
from .events import arenas_blp
from .match import blueprints as match_blueprints

blueprints = [arenas_blp, *match_blueprints]

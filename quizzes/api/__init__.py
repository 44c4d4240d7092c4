"""JSON API of the quizzes package (DESIGN §7, quizzes row)."""
from .attempts import attempts_blp, me_blp
from .bank import bank_blp
from .quizzes import quizzes_blp

blueprints = [bank_blp, quizzes_blp, attempts_blp, me_blp]

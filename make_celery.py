from learning.app import create_app
celery_app = create_app().extensions["celery"]

"""Learning analytics (scikit-learn): scripted-study anomalies, disengagement risk, what to study next.

Every output is advice shown to organisers and reviewers; nothing here changes points or grades.
"""

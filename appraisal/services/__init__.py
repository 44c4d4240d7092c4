"""Appraisal services: campaigns and phases, the secret ballot, determination, rectification, analysis."""

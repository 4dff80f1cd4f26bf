"""Tuning: the study loop, trial evaluators, study records, and tuner scores."""

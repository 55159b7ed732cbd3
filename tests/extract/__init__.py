"""Tests of `ceasefire extract` (text to incidents, claims and agreements)."""

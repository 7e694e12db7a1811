"""Figures for station managers and their exports (CSV, JSON, PDF)."""

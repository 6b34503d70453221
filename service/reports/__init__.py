"""Analyst reports: rankings, criteria, findings and charts over scored visits."""

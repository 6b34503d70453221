"""Demo data: plausible visits, answers and scores for trying the reports."""

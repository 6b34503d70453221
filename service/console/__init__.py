"""The web console for coordinators and analysts, at /console/ (see router.py)."""

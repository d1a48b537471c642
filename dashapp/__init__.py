"""Attention Atlas dashboard: the Dash app on top of the NumPy engine (see dashapp.app)."""

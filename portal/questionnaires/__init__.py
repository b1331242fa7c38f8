"""Questionnaires: versioned definition files, their loader and the form engine built on them."""

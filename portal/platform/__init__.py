"""The installation's own administration: buyers and their first administrators."""

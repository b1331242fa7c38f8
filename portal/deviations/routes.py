"""(being written)."""

from flask import Blueprint

bp = Blueprint("deviations", __name__)

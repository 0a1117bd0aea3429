"""The monitoring dashboard (placeholder until it lands)."""
from flask import Blueprint

bp = Blueprint("dashboard", __name__, url_prefix="/staff")

"""Manage my booking (placeholder until it lands)."""
from flask import Blueprint

bp = Blueprint("manage", __name__, url_prefix="/manage")

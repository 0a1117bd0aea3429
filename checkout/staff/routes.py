"""Staff console pages (placeholder until the console lands)."""
from flask import Blueprint

bp = Blueprint("staff", __name__, url_prefix="/staff")


@bp.get("/login")
def login():
    return "Staff sign-in is coming.", 200

"""PLACEHOLDER: being written."""
from __future__ import annotations

from flask import Blueprint, render_template_string

bp = Blueprint("teams", __name__, url_prefix="/teams")


@bp.route("/")
def index():  # type: ignore[no-untyped-def]
    return render_template_string("{% extends 'base.html' %}{% block main %}<h1>teams</h1>{% endblock %}")
